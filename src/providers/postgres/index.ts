export * from './connection.js';
export * from './provider.js';
