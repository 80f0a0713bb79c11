export * from './connection.js';
export * from './provider.js';
export * from './discover.js';
