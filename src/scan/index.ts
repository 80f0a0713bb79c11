export * from './scan.js';
export * from './types.js';
export * from './severity.js';
export * from './evaluate.js';
export { BUILTIN_SCAN_RULES } from './rules/index.js';
export { SECRET_RULES } from './secrets/detect.js';
