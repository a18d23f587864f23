// The gateway in front of whatever services a test runs: real ones where given, and a closed
// port for the others (which the gateway must answer 503 for).
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import { quietLogger } from '@spor/testkit';
import { UPSTREAM_VARIABLES, type UpstreamName } from '../src/config.js';
import { startGateway, type RunningGateway } from '../src/service.js';

/** A port on this machine that nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startTestGateway(options: { identityUrl: string; tokenIssuer: string; upstreams?: Partial<Record<UpstreamName, string>>; env?: Record<string, string>; logger?: Logger; asyncApi?: () => unknown }): Promise<RunningGateway> {
  const nowhere = `http://127.0.0.1:${await closedPort()}`;
  const urls: Record<string, string> = {};
  for (const [name, variable] of Object.entries(UPSTREAM_VARIABLES)) urls[variable] = options.upstreams?.[name as UpstreamName] ?? (name === 'identity' ? options.identityUrl : nowhere);
  return startGateway(
    {
      PORT: '0',
      TOKEN_ISSUER: options.tokenIssuer,
      IDENTITY_JWKS_URL: `${options.identityUrl}/.well-known/jwks.json`,
      ...urls,
      ...options.env,
    },
    { logger: options.logger ?? quietLogger(), ...(options.asyncApi ? { asyncApi: options.asyncApi } : {}) },
  );
}
