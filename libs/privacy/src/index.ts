export * from './archive.js';
export * from './legal-hold.js';
export * from './retention.js';
export * from './insight.js';
export * from './privacy.js';
export * from './export-composer.js';
export * from './sweep-lease.js';
