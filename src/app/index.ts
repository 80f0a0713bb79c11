export * from './actor.js';
export * from './project.js';
export * from './reconcile.js';
export * from './import.js';
export * from './identities/index.js';
