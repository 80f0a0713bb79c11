export * from './files.js';
export * from './json-schema.js';
export * from './load.js';
