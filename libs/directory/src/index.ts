export * from './directory-view.js';
export * from './access.js';
export * from './consent-view.js';
export * from './child-record-copies.js';
