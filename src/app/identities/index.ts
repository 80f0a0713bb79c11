export * from './commands.js';
export * from './deliver.js';
export * from './keys.js';
export * from './rotation.js';
export * from './sync.js';
export * from './vault.js';
export * from './plan-notes.js';
export * from './instance-secrets.js';
