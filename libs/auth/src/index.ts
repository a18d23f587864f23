export * from './principal.js';
export * from './token-verifier.js';
export * from './middleware.js';
export * from './config.js';
export * from './service-token-client.js';
export * from './serve.js';
export * from './job-route.js';
export * from './person-lookup.js';
