export * from './cel.js';
export * from './evaluate.js';
export * from './rule.js';
