// Development-only settings for `npm start`: the variables each service needs beyond the
// shared ones, with secrets generated once per machine and kept in .local/dev-secrets.json
// (git-ignored), so a second start opens the data the first one sealed. Never for production.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './infra-lib.js';

interface DevSecrets {
  signingKeySealKey: string;
  cprEncryptionKey: string;
  cprLookupKey: string;
}

function devSecrets(): DevSecrets {
  const file = join(stateDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const key = () => randomBytes(32).toString('base64');
  const secrets = { signingKeySealKey: `dev-seal:${key()}`, cprEncryptionKey: `dev-cpr:${key()}`, cprLookupKey: `dev-lookup:${key()}` };
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Every service keeps its port whichever services exist yet, so URLs in notes and clients stay true. */
const PORT_OFFSETS: Record<string, number> = { identity: 0, assessments: 1, 'action-plans': 2, consent: 3, transitions: 4, reporting: 5, gateway: 6 };
const BASE_PORT = Number(process.env.SPOR_BASE_PORT ?? 8081);

export function devPort(service: string): number {
  const offset = PORT_OFFSETS[service] ?? 10 + Object.keys(PORT_OFFSETS).length;
  return BASE_PORT + offset;
}

const identityUrl = () => `http://127.0.0.1:${devPort('identity')}`;

/** The extra environment of one service when `npm start` runs it. */
export function devEnvironment(service: string): Record<string, string> {
  switch (service) {
    case 'identity': {
      const secrets = devSecrets();
      return {
        TOKEN_ISSUER: identityUrl(),
        SIGNING_KEY_SEAL_KEY: secrets.signingKeySealKey,
        CPR_ENCRYPTION_KEYS: secrets.cprEncryptionKey,
        CPR_ENCRYPTION_ACTIVE_KEY: 'dev-cpr',
        CPR_LOOKUP_KEY: secrets.cprLookupKey,
        // Plain http on this machine: the session cookie cannot carry Secure and `__Host-`.
        SESSION_COOKIE_SECURE: 'false',
      };
    }
    case 'action-plans':
    case 'reporting':
    case 'assessments':
    case 'consent':
    case 'transitions':
      return { TOKEN_ISSUER: identityUrl() };
    default:
      return {};
  }
}
