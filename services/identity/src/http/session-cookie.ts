// The session cookie: HttpOnly (scripts never see it), SameSite=Lax (not sent on cross-site
// POSTs), Secure with the `__Host-` prefix in production (no Domain, path /, https only).
// Plain http is for development on localhost only and drops both.
import type { Request, Response } from 'express';

export interface CookieSettings {
  secure: boolean;
  maxAgeMs: number;
}

export const cookieName = (settings: CookieSettings) => (settings.secure ? '__Host-spor_session' : 'spor_session');

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=') || undefined;
  }
  return undefined;
}

export function readSessionCookie(req: Request, settings: CookieSettings): string | undefined {
  return readCookie(req, cookieName(settings));
}

/**
 * The cookie that ties a login attempt to the browser that started it. The state alone does not:
 * anyone holding a callback link (code and state) could finish the login in another browser and
 * leave that browser logged in as them (login CSRF, RFC 9700 section 4.7). Lives as long as the attempt.
 */
export const loginCookieName = (settings: CookieSettings, kind: string) => (settings.secure ? `__Host-spor_login_${kind}` : `spor_login_${kind}`);

export function readLoginCookie(req: Request, settings: CookieSettings, kind: string): string | undefined {
  return readCookie(req, loginCookieName(settings, kind));
}

export function setLoginCookie(res: Response, settings: CookieSettings, kind: string, value: string, maxAgeMs: number): void {
  // Lax: sent on the IdP's top-level redirect back to the callback, not on cross-site subrequests.
  res.cookie(loginCookieName(settings, kind), value, { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/', maxAge: maxAgeMs });
}

export function clearLoginCookie(res: Response, settings: CookieSettings, kind: string): void {
  res.clearCookie(loginCookieName(settings, kind), { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/' });
}

export function setSessionCookie(res: Response, settings: CookieSettings, value: string): void {
  res.cookie(cookieName(settings), value, { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/', maxAge: settings.maxAgeMs });
}

export function clearSessionCookie(res: Response, settings: CookieSettings): void {
  res.clearCookie(cookieName(settings), { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/' });
}
