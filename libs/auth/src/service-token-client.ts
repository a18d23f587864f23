// For the few calls one Spor service makes to another: a client-credentials token from
// identity, kept until shortly before it expires, and a fetch that carries it.
import { AppError } from '@spor/service-kit';

export interface ServiceTokenClientOptions {
  /** identity's base URL (the token endpoint is `<url>/oauth/token`). */
  identityUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  timeoutMs?: number;
}

export class ServiceTokenClient {
  private cached: { token: string; renewAt: number } | undefined;

  constructor(private readonly options: ServiceTokenClientOptions) {}

  async token(): Promise<string> {
    if (this.cached && Date.now() < this.cached.renewAt) return this.cached.token;
    const res = await fetch(`${this.options.identityUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: this.options.scope }).toString(),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
    }).catch((error: unknown) => {
      throw unavailable(`identity could not be reached for a service token: ${(error as Error).message}`);
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; detail?: string };
    if (!res.ok || !body.access_token) throw unavailable(`identity refused the service token (${res.status}${body.detail ? `: ${body.detail}` : ''})`);
    // Renewed a minute early, so a token never expires on its way.
    this.cached = { token: body.access_token, renewAt: Date.now() + Math.max(0, (body.expires_in ?? 60) - 60) * 1000 };
    return body.access_token;
  }

  /** POSTs JSON with the service token; answers the parsed JSON, or a 502/503 problem naming what failed. */
  async postJson<T>(path: string, payload: unknown): Promise<T> {
    const res = await fetch(`${this.options.identityUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.token()}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    }).catch((error: unknown) => {
      throw unavailable(`identity could not be reached: ${(error as Error).message}`);
    });
    if (!res.ok) throw new AppError({ status: 502, code: 'UPSTREAM_FAILED', title: 'Another Spor service refused the call', detail: `${path} answered ${res.status}` });
    return (await res.json()) as T;
  }
}

function unavailable(detail: string): AppError {
  return new AppError({ status: 503, code: 'UPSTREAM_UNAVAILABLE', title: 'Another Spor service is not available', detail });
}
