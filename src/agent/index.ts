export * from './agent.js';
export * from './approvals.js';
export * from './autonomy.js';
export * from './identity.js';
export type * from './logger.js';
export type { AgentStatus } from './status-file.js';
