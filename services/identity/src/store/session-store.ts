// Browser sessions after a login. The cookie holds a random token; the store keeps only its
// SHA-256, so a copy of the database cannot be replayed as a cookie. A session lives until it
// is idle too long, reaches its maximum age, is logged out, or the IdP ends it (back-channel).
import { createHash, randomBytes } from 'node:crypto';
import type { Collection } from 'mongodb';

export interface Session {
  _id: string;
  kind: 'citizen' | 'staff';
  personId: string;
  /** The NSIS level the login was made at, carried into every access token of the session. */
  acr: string;
  idpIssuer: string;
  /** The IdP's session id (`sid`), which a back-channel logout names. */
  idpSid?: string;
  /** SHA-256 of the IdP's subject: a back-channel logout may name only that; kept hashed because staff subjects can be e-mail addresses. */
  idpSubjectHash: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface SessionPolicy {
  idleMs: number;
  maxAgeMs: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

export class SessionStore {
  constructor(
    private readonly collection: Collection<Session>,
    private readonly policy: SessionPolicy,
  ) {}

  async init(): Promise<void> {
    await this.collection.createIndex({ idpIssuer: 1, idpSid: 1 });
    await this.collection.createIndex({ idpIssuer: 1, idpSubjectHash: 1 });
    await this.collection.createIndex({ expiresAt: 1 });
  }

  /** Opens a session and answers the cookie value, which is never stored. */
  async open(fields: Omit<Session, '_id' | 'createdAt' | 'lastSeenAt' | 'expiresAt' | 'idpSubjectHash'> & { idpSubject: string }, now = new Date()): Promise<{ cookie: string; session: Session }> {
    const cookie = randomBytes(32).toString('base64url');
    const { idpSubject, ...rest } = fields;
    const session: Session = { ...rest, _id: digest(cookie), idpSubjectHash: digest(idpSubject), createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + this.policy.maxAgeMs) };
    await this.collection.insertOne(session);
    return { cookie, session };
  }

  /**
   * Drops the sessions that ended by themselves (too old or idle too long); `use` refuses them
   * anyway. A periodic job, not part of opening a session: a filter on a time reads every
   * session on FerretDB 1.x (decision 0002), which a login should not wait for.
   */
  async removeEnded(now = new Date()): Promise<number> {
    const idleSince = new Date(now.getTime() - this.policy.idleMs);
    return (await this.collection.deleteMany({ $or: [{ expiresAt: { $lte: now } }, { lastSeenAt: { $lte: idleSince } }] })).deletedCount;
  }

  /** The live session of a cookie, marked as used; an idle or too old one is ended and answers null. */
  async use(cookie: string, now = new Date()): Promise<Session | null> {
    const id = digest(cookie);
    const session = await this.collection.findOne({ _id: id });
    if (!session) return null;
    if (session.expiresAt <= now || session.lastSeenAt.getTime() + this.policy.idleMs <= now.getTime()) {
      await this.collection.deleteOne({ _id: id });
      return null;
    }
    await this.collection.updateOne({ _id: id }, { $set: { lastSeenAt: now } });
    return { ...session, lastSeenAt: now };
  }

  async endByCookie(cookie: string): Promise<Session | null> {
    const session = await this.collection.findOne({ _id: digest(cookie) });
    if (session) await this.collection.deleteOne({ _id: session._id });
    return session;
  }

  /** Ends every session of a person (their entry left the directory). */
  async endAllOf(personId: string): Promise<number> {
    return (await this.collection.deleteMany({ personId })).deletedCount;
  }

  async end(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: id });
  }

  /** Ends what a back-channel logout names: the IdP session `sid`, or else every session of the subject at that IdP. */
  async endFromIdp(idpIssuer: string, target: { sid?: string; sub?: string }): Promise<number> {
    const filter = target.sid ? { idpIssuer, idpSid: target.sid } : { idpIssuer, idpSubjectHash: digest(target.sub ?? '') };
    return (await this.collection.deleteMany(filter)).deletedCount;
  }
}
