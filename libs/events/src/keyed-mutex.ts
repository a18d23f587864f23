// The per-document lock lives beside the store it guards (libs/mongo): import jobs take it too.
export { KeyedMutex, documentLockKey } from '@spor/mongo';
