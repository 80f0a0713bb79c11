export * from './blast-radius.js';
export * from './circuit-breaker.js';
export * from './clock.js';
export * from './flap-detector.js';
export * from './rate-limiter.js';
export * from './token-bucket.js';
