// What a browser does with its session: fetch a fresh short-lived access token (the refresh:
// roles and custody are read from the directory again each time), see who it is logged in as,
// and log out (RP-initiated: the session ends here, then the browser goes to the IdP to end
// its session there too). The cookie is SameSite=Lax; on top of that these POSTs are refused
// when the browser says they come from another site.
import type { Request, Router } from 'express';
import { AppError, forbidden, unauthorized, type Logger } from '@spor/service-kit';
import type { Stored } from '@spor/events';
import { issueAccessToken, type AccessTokenSettings } from '../domain/access-token.js';
import type { SigningKeyRing } from '../domain/signing-keys.js';
import type { LoginSubject } from '../domain/login-subjects.js';
import type { Person } from '../domain/person.js';
import type { Session, SessionStore } from '../store/session-store.js';
import type { LoginProvider } from './oidc-login.routes.js';
import { clearSessionCookie, readSessionCookie, type CookieSettings } from './session-cookie.js';

export interface SessionRouteDeps {
  sessions: SessionStore;
  cookie: CookieSettings;
  providers: LoginProvider[];
  person: (id: string) => Promise<Stored<Person> | null>;
  subjectOf: (person: Stored<Person>, kind: 'citizen' | 'staff') => Promise<LoginSubject>;
  ring: () => SigningKeyRing;
  tokens: AccessTokenSettings;
  /** Origins the web client runs on; a POST from any other origin is refused. */
  allowedOrigins: string[];
  logoutReturnUrl: string;
  logger: Logger;
}

export function sessionRoutes(router: Router, deps: SessionRouteDeps): void {
  const sameSite = (req: Request) => {
    const origin = req.headers.origin;
    if (req.headers['sec-fetch-site'] === 'cross-site' || (origin !== undefined && !deps.allowedOrigins.includes(origin))) {
      throw forbidden(`requests with the session cookie must come from ${deps.allowedOrigins.join(' or ')}`, 'CROSS_SITE_REQUEST');
    }
  };

  const liveSession = async (req: Request): Promise<Session> => {
    const cookie = readSessionCookie(req, deps.cookie);
    const session = cookie ? await deps.sessions.use(cookie) : null;
    if (!session) throw unauthorized(cookie ? 'the session has ended; log in again' : 'no session: log in first', 'SESSION_REQUIRED');
    return session;
  };

  router.post('/auth/token', async (req, res) => {
    sameSite(req);
    const session = await liveSession(req);
    const person = await deps.person(session.personId);
    let subject: LoginSubject;
    try {
      if (!person) throw forbidden('the person of this session is no longer in the directory', 'UNKNOWN_PERSON');
      subject = await deps.subjectOf(person, session.kind);
    } catch (error) {
      // Whoever no longer qualifies (custody or last role ended) loses the session too.
      if (error instanceof AppError && error.status === 403) await deps.sessions.end(session._id);
      throw error;
    }
    const { token, expiresAt } = await issueAccessToken(deps.ring(), deps.tokens, { ...subject, acr: session.acr }, new Date());
    res.set('cache-control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: Math.round((expiresAt.getTime() - Date.now()) / 1000) });
  });

  router.get('/auth/session', async (req, res) => {
    const session = await liveSession(req);
    res.set('cache-control', 'no-store').json({ kind: session.kind, personId: session.personId, createdAt: session.createdAt.toISOString(), expiresAt: session.expiresAt.toISOString() });
  });

  router.post('/auth/logout', async (req, res) => {
    sameSite(req);
    const cookie = readSessionCookie(req, deps.cookie);
    const session = cookie ? await deps.sessions.endByCookie(cookie) : null;
    clearSessionCookie(res, deps.cookie);
    const provider = session ? deps.providers.find((p) => p.kind === session.kind) : undefined;
    let next = deps.logoutReturnUrl;
    try {
      next = (await provider?.endSessionUrl()) ?? next;
    } catch (error) {
      // The session here has ended either way; the IdP's session ends when it expires.
      deps.logger.warn({ err: error }, 'the IdP could not be reached for logout');
    }
    res.set('cache-control', 'no-store').redirect(303, next);
  });
}
