export * from './entry.js';
export * from './access-event.js';
export * from './audit-log.js';
export * from './verify.js';
export type { ChainState } from './shipper.js';
