export * from './envelope.js';
export * from './generate.js';
export * from './keyed-hash.js';
export * from './master-key.js';
export * from './scram.js';
