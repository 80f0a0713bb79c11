export * from './context-manager.js';
export * from './logger.js';
export * from './metrics.js';
export * from './metrics-server.js';
export * from './redact.js';
export * from './tracing.js';
