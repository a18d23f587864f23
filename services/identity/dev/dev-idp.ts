// FOR DEVELOPMENT AND TESTS ONLY. A real OpenID Provider (panva's oidc-provider) that stands in
// for the MitID broker (NemLog-in's CPR claim name, NSIS levels in `acr`) and for a municipal
// staff IdP. Instead of MitID it signs in whoever `nextLogin` names, so tests can drive the whole
// authorization-code flow over HTTP; with `demoAccounts` (npm start) it shows a page to pick one
// of them instead, and `?account=<sub>` on that page picks one without a click (for curl).
import { createServer, type Server } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';
import { devIdpStore } from './dev-idp-store.js';

export const NEMLOGIN_CPR_CLAIM = 'https://data.gov.dk/model/core/eid/cprNumber';
export const NSIS = {
  low: 'https://data.gov.dk/concept/core/nsis/loa/Low',
  substantial: 'https://data.gov.dk/concept/core/nsis/loa/Substantial',
  high: 'https://data.gov.dk/concept/core/nsis/loa/High',
} as const;

export interface DevAccount {
  sub: string;
  cpr?: string;
  email?: string;
}

/** An account the development login page offers; staff accounts have an e-mail, parents a CPR number. */
export interface DemoAccount {
  label: string;
  account: DevAccount;
}

export interface DevIdp {
  issuer: string;
  /** Who the next login signs in, and at which NSIS level. */
  nextLogin: { account: DevAccount; acr: string } | undefined;
  /** Lifetime of the ID tokens it issues from now on. */
  idTokenTtlSeconds: number;
  /** Holds back token responses this long after they are made, like a slow network. */
  tokenResponseDelayMs: number;
  stop(): Promise<void>;
}

/** `port` must be the real port (not 0): it is part of the issuer. */
export async function startDevIdp(options: { port: number; clients: Configuration['clients']; idTokenTtlSeconds?: number; demoAccounts?: DemoAccount[] }): Promise<DevIdp> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const accounts = new Map<string, DevAccount>();
  const idp: DevIdp = { issuer, nextLogin: undefined, idTokenTtlSeconds: options.idTokenTtlSeconds ?? 300, tokenResponseDelayMs: 0, stop: async () => undefined };
  // A fresh signing key per start, as a real IdP has its own (and oidc-provider's built-in one is shared by everyone).
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    adapter: devIdpStore(),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: `dev-${options.port}`, use: 'sig', alg: 'RS256' }] },
    clients: options.clients,
    scopes: ['openid', 'cpr', 'email'],
    claims: { openid: ['sub'], cpr: [NEMLOGIN_CPR_CLAIM], email: ['email'] },
    acrValues: Object.values(NSIS),
    // Brokers put the CPR claim in the ID token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: true },
      // Logging out at the IdP tells the relying parties over the back channel.
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    cookies: { keys: ['development-only-not-a-secret'] },
    ttl: { IdToken: () => idp.idTokenTtlSeconds, AccessToken: 300, Interaction: 600, Grant: 3600, Session: 8 * 3600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, ...(account.cpr ? { [NEMLOGIN_CPR_CLAIM]: account.cpr } : {}), ...(account.email ? { email: account.email } : {}) };
        },
      };
    },
  });
  const callback = provider.callback();
  const server: Server = createServer(async (req, res) => {
    const match = /^\/interaction\/([^/?]+)/.exec(req.url ?? '');
    if (req.url?.startsWith('/token') && idp.tokenResponseDelayMs > 0) {
      const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
      const delay = idp.tokenResponseDelayMs;
      res.end = ((...args: unknown[]) => (setTimeout(() => end(...args), delay), res)) as typeof res.end;
    }
    if (!match) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const picked = demoPick(options.demoAccounts ?? [], req.url!, String(details.params.scope));
      const login = idp.nextLogin ?? picked.login;
      if (!login) {
        if (picked.page) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(picked.page);
        else res.writeHead(400).end('no login prepared');
        return;
      }
      accounts.set(login.account.sub, login.account);
      const grant = new provider.Grant({ accountId: login.account.sub, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      grant.addOIDCClaims([NEMLOGIN_CPR_CLAIM, 'email']);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: login.account.sub, acr: login.acr }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (error) {
      res.writeHead(500).end(String((error as Error).message));
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  idp.stop = () => new Promise((resolve) => server.close(() => resolve()));
  return idp;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Every page the development IdP shows: it says that it is one. */
const page = (heading: string, body: string) => `<!doctype html><html lang="da"><head><meta charset="utf-8"><title>${heading}: Spor development IdP</title></head><body>
<h1>${heading} (development only)</h1>
${body}
</body></html>`;

type RpInitiatedLogout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

/** Logging out at the IdP: `form` is oidc-provider's (with its XSRF token); the user confirms it. */
const logoutSource: RpInitiatedLogout['logoutSource'] = async (ctx, form) => {
  ctx.type = 'html';
  ctx.body = page('Log ud', `${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Log ud</button>
<button type="submit" form="op.logoutForm">Bliv logget ind</button>`);
};

const postLogoutSuccessSource: RpInitiatedLogout['postLogoutSuccessSource'] = async (ctx) => {
  ctx.type = 'html';
  ctx.body = page('Logget ud', '<p>You are logged out of the development IdP.</p>');
};

/**
 * The development login page: the demo accounts that fit the login asked for (a CPR number for
 * MitID, scope `cpr`; an e-mail for the staff IdP), each a link back to this interaction with
 * `?account=<sub>`, which signs that account in at NSIS substantial.
 */
function demoPick(accounts: DemoAccount[], url: string, scope: string): { login?: { account: DevAccount; acr: string }; page?: string } {
  if (accounts.length === 0) return {};
  const citizen = scope.split(' ').includes('cpr');
  const offered = accounts.filter((a) => (citizen ? a.account.cpr : a.account.email));
  const wanted = new URL(url, 'http://idp').searchParams.get('account');
  const chosen = wanted ? offered.find((a) => a.account.sub === wanted) : undefined;
  if (chosen) return { login: { account: chosen.account, acr: NSIS.substantial } };
  const path = new URL(url, 'http://idp').pathname;
  const items = offered.map((a) => `<li><a href="${escapeHtml(path)}?account=${encodeURIComponent(a.account.sub)}">${escapeHtml(a.label)}</a></li>`).join('\n');
  return {
    page: page(
      citizen ? 'MitID' : 'Medarbejderlogin',
      `<p>This is not MitID and not the municipality's IdP: a local OpenID provider that signs in a demo account of <code>npm start</code>. Never use it with real people.</p>
${wanted ? `<p><strong>No demo account ${escapeHtml(wanted)} for this login.</strong></p>` : ''}
<ul>
${items}
</ul>`,
    ),
  };
}
