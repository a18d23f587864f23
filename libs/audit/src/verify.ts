// Walks every chain of a service's audit log and names the first entry that does not hold:
// a sequence number missing (an entry removed), a previous-hash link that does not match (an
// entry removed or inserted), or a hash that does not match the entry's content (an entry
// changed). Removing a chain's last entries leaves a shorter valid chain, and so does moving a
// chain's start (audit_chains, where retention records what it removed) together with the
// entries before it: the shipped stream (spor.audit.access.v1, kept elsewhere) carries every
// seq and hash, and is what shows either.
import type { Db } from 'mongodb';
import { WITHOUT_OUTBOX } from '@spor/events';
import { GENESIS, entryId, hashOf, type AuditEntry } from './entry.js';
import { AuditLog, lastEntryOf } from './audit-log.js';
import type { ChainState } from './shipper.js';

export interface BrokenEntry {
  chain: string;
  /** The entry's id, or the id the missing entry would have had. */
  entryId: string;
  seq: number;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  chains: number;
  entries: number;
  firstBroken?: BrokenEntry;
}

export async function verifyAuditLog(db: Db): Promise<VerifyResult> {
  const collection = db.collection<AuditEntry>(AuditLog.collection);
  const chains = ((await collection.distinct('chain')) as string[]).sort();
  // Where each chain starts now: after the last entry its retention removed (AuditLog.prune).
  const starts = new Map((await db.collection<ChainState>(AuditLog.chainsCollection).find({}).toArray()).map((c) => [c._id, c]));
  let entries = 0;
  for (const chain of chains) {
    const start = starts.get(chain);
    let expected = (start?.seq ?? 0) + 1;
    let prev = start?.hash ?? GENESIS;
    // Entries the start already covers (a prune that stopped between moving it and deleting) are passed over.
    const cursor = collection.find({ chain, seq: { $gt: start?.seq ?? 0 } }, { projection: WITHOUT_OUTBOX }).sort({ seq: 1 });
    for await (const entry of cursor) {
      entries++;
      const broken = (reason: string, seq = entry.seq): VerifyResult => ({ ok: false, chains: chains.length, entries, firstBroken: { chain, entryId: entryId(chain, seq), seq, reason } });
      if (entry.seq !== expected) {
        await cursor.close();
        return broken(entry.seq > expected ? `entry missing (the next stored one is seq ${entry.seq})` : 'sequence number repeated', expected);
      }
      if (entry._id !== entryId(chain, entry.seq)) return (await cursor.close(), broken(`stored under the id ${entry._id}`));
      if (entry.prevHash !== prev) return (await cursor.close(), broken('does not link to the entry before it (prevHash differs)'));
      if (hashOf(entry) !== entry.hash) return (await cursor.close(), broken('content changed after it was written (hash differs)'));
      prev = entry.hash;
      expected++;
    }
  }
  return { ok: true, chains: chains.length, entries };
}

/** How far one chain is shipped to spor.audit.access.v1 (what an operator asks after an outage). */
export interface ChainShipping {
  chain: string;
  /** The last entry stored (the chain's start when every entry is pruned). */
  head: number;
  shipped: number;
  /** Entries stored and not shipped yet. */
  waiting: number;
  /** The writer's last beat, if it ever beat. */
  aliveAt?: Date;
  closed: boolean;
}

export async function auditShipping(db: Db): Promise<ChainShipping[]> {
  const collection = db.collection<AuditEntry>(AuditLog.collection);
  const states = await db.collection<ChainState>(AuditLog.chainsCollection).find({}).sort({ _id: 1 }).toArray();
  const answer: ChainShipping[] = [];
  for (const state of states) {
    const last = await lastEntryOf(collection, state._id);
    const head = Math.max(last?.seq ?? 0, state.seq);
    const shipped = state.shipped ?? 0;
    answer.push({ chain: state._id, head, shipped, waiting: Math.max(0, head - shipped), ...(state.aliveAt ? { aliveAt: state.aliveAt } : {}), closed: state.closed === true });
  }
  return answer;
}
