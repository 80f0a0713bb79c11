export * from './apply.js';
export * from './diff.js';
export * from './planner.js';
export * from './prior.js';
export * from './recorder.js';
export * from './recover.js';
export * from './refresh.js';
export * from './sessions.js';
