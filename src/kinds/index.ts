export * from './common.js';
export * from './postgres-database.js';
export * from './postgres-instance.js';
export * from './names.js';
export * from './postgres-role.js';
export * from './postgres-role-membership.js';
export * from './postgres-schema.js';
export * from './registry.js';
