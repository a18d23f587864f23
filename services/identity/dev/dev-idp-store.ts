// Where the development IdP keeps its state (interactions, sessions, codes, grants): in this
// process, on purpose. It stands in for MitID / NemLog-in in tests and local runs and lives and
// dies with them, so nothing is to be shared between processes or kept over a restart.
// oidc-provider's built-in store says that in a warning with a stack trace at every start, and
// it shares one store between every provider in the process; this one belongs to one provider.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch ms; absent when the model has no lifetime. */
  expiresAt?: number;
}

export function devIdpStore(): AdapterFactory {
  const entries = new Map<string, Entry>();
  const live = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) entries.delete(key);
    return entries.get(key)?.payload;
  };
  const findWhere = (match: (p: AdapterPayload) => boolean, model: string) => {
    for (const [key, entry] of entries) if (key.startsWith(`${model}:`) && match(entry.payload)) return live(key);
    return undefined;
  };
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, ...(typeof expiresIn === 'number' ? { expiresAt: Date.now() + expiresIn * 1000 } : {}) });
      },
      find: async (id) => live(key(id)),
      findByUid: async (uid) => findWhere((p) => p.uid === uid, model),
      findByUserCode: async (userCode) => findWhere((p) => p.userCode === userCode, model),
      async consume(id) {
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      // Revoking a grant takes every token and code issued under it, of every model.
      async revokeByGrantId(grantId) {
        for (const [k, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(k);
      },
    };
  };
}
