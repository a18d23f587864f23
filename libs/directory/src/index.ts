export * from './directory-view.js';
export * from './access.js';
