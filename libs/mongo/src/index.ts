export * from './connection.js';
export * from './versioned-apply.js';
export { default as mongoose } from 'mongoose';
export type { Connection, Model } from 'mongoose';
export type { Collection, Document as MongoDocument } from 'mongodb';
export * from './import-jobs.js';
export * from './find-each.js';
export * from './keyed-mutex.js';
export * from './unique-key.js';
