// The session cookie: HttpOnly (scripts never see it), SameSite=Lax (not sent on cross-site
// POSTs), Secure with the `__Host-` prefix in production (no Domain, path /, https only).
// Plain http is for development on localhost only and drops both.
import type { Request, Response } from 'express';

export interface CookieSettings {
  secure: boolean;
  maxAgeMs: number;
}

export const cookieName = (settings: CookieSettings) => (settings.secure ? '__Host-spor_session' : 'spor_session');

export function readSessionCookie(req: Request, settings: CookieSettings): string | undefined {
  const name = cookieName(settings);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=') || undefined;
  }
  return undefined;
}

export function setSessionCookie(res: Response, settings: CookieSettings, value: string): void {
  res.cookie(cookieName(settings), value, { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/', maxAge: settings.maxAgeMs });
}

export function clearSessionCookie(res: Response, settings: CookieSettings): void {
  res.clearCookie(cookieName(settings), { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/' });
}
