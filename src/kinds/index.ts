export * from './common.js';
export * from './postgres-database.js';
export * from './postgres-instance.js';
export * from './postgres-role.js';
export * from './registry.js';
