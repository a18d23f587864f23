// Wires identity together: configuration, database, keys, events, HTTP. main.ts and the
// integration tests both start identity through here.
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { AppError, ServiceRuntime, createApp, createLogger, createRegistry, loadConfig, type Logger } from '@spor/service-kit';
import type { Db } from 'mongodb';
import { EventFactory, startBackbone, startProjectionConsumer, topicFor } from '@spor/events';
import { DirectoryView } from '@spor/directory';
import { contractRegistry } from '@spor/contracts';
import { authenticate, createTokenVerifier, type StaffRole } from '@spor/auth';
import { identityConfigSchema, serviceClientsOf, type IdentityConfig } from './config.js';
import { parseBoxKey } from './domain/sealed-box.js';
import type { SigningKeyRing } from './domain/signing-keys.js';
import { SigningKeyStore } from './store/signing-key-store.js';
import { OrgUnitRepository, UNIT_KEY } from './store/org-unit-repository.js';
import { orgUnitRoutes } from './http/org-unit.routes.js';
import { personRoutes } from './http/person.routes.js';
import { relationRoutes } from './http/relation.routes.js';
import { erasureRoutes } from './http/erasure.routes.js';
import { importRoutes, resumeImports, type ImportDeps } from './http/import.routes.js';
import { oidcLoginRoutes, removeStaleLoginAttempts, type LoginAttempt, type LoginProvider } from './http/oidc-login.routes.js';
import { sessionRoutes } from './http/session.routes.js';
import { serviceTokenRoutes } from './http/service-token.routes.js';
import { internalRoutes } from './http/internal.routes.js';
import { citizenResolver, staffResolver, subjectOfPerson } from './domain/login-subjects.js';
import { SessionStore, type Session } from './store/session-store.js';
import { RelationRepository } from './store/relation-repository.js';
import { PersonRepository, STAFF_LOGIN } from './store/person-repository.js';
import { startAuditLog, type AuditLog } from '@spor/audit';
import { IMPORT_SWEEP_MS, ImportJobs } from '@spor/mongo';
import type { ImportCounts } from './store/import-jobs.js';
import { CprVault, parseVaultKeys } from './domain/cpr-vault.js';
import { startPrivacy, type Privacy } from '@spor/privacy';
import { identityAuditTrail, identityChildData, identityRelations, identityRetention } from './privacy.js';

export const SERVICE = 'identity';
export const TOPICS = ['orgunit', 'person', 'membership', 'guardianship'].map((aggregate) => topicFor(SERVICE, aggregate));

export interface RunningIdentity {
  url: string;
  runtime: ServiceRuntime;
  config: IdentityConfig;
  keys: () => SigningKeyRing;
  audit: AuditLog;
  imports: ImportDeps;
  /** The service's database, for operational tooling and tests. */
  db: Db;
  /** Parents' insight, the officer's export and legal holds (libs/privacy), from identity's own records. */
  privacy: Privacy;
  /** One round of the minute's clean-up of ended sessions and abandoned logins; answers how many went. */
  sweepLogins: () => Promise<number>;
}

export async function startIdentity(environment: NodeJS.ProcessEnv, logger?: Logger, options: { clock?: () => Date } = {}): Promise<RunningIdentity> {
  const config = loadConfig(identityConfigSchema, environment);
  const clock = options.clock ?? (() => new Date());
  const log = logger ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const runtime = new ServiceRuntime(log, config.SHUTDOWN_TIMEOUT_MS);
  const metrics = createRegistry(SERVICE);

  const backbone = await startBackbone({
    service: SERVICE,
    mongoUrl: config.MONGO_URL,
    dbName: config.IDENTITY_DB_NAME,
    kafkaBrokers: config.KAFKA_BROKERS,
    kafkaClientId: config.KAFKA_CLIENT_ID,
    runtime,
    logger: log,
    metrics,
    aggregateCollections: ['org_units', 'persons', 'memberships', 'guardianships'],
    otherCollections: ['municipality_roots', 'signing_keys', 'import_jobs', 'login_attempts', 'sessions', ...DirectoryView.collections],
    topics: TOPICS,
  });
  const { db, locks, relay } = backbone;

  const policy = { rotateAfterMs: config.SIGNING_KEY_ROTATION_HOURS * 3600_000, tokenTtlMs: config.ACCESS_TOKEN_TTL_SECONDS * 1000, clockSkewMs: 30_000 };
  const keyStore = new SigningKeyStore(db.collection('signing_keys'), parseBoxKey(config.SIGNING_KEY_SEAL_KEY), policy);
  let ring = await keyStore.load(new Date());
  // Picks up keys other replicas created, rotates when a period begins, drops expired keys.
  runtime.every('signing key refresh', 60_000, async () => {
    ring = await keyStore.load(new Date());
  });

  const orgUnits = db.collection('org_units');
  await orgUnits.createIndex({ parentId: 1 });
  // One external id per unit of a municipality (UNIT_KEY); sparse: only units with one have it.
  await orgUnits.createIndex({ [UNIT_KEY]: 1 }, { unique: true, sparse: true });
  const personDocs = db.collection('persons');
  await personDocs.createIndex({ cprHash: 1 }, { unique: true });
  // One login id, one staff member (STAFF_LOGIN); sparse: only staff have one.
  await personDocs.createIndex({ [STAFF_LOGIN]: 1 }, { unique: true, sparse: true });
  const membershipDocs = db.collection('memberships');
  await membershipDocs.createIndex({ personId: 1 });
  const guardianshipDocs = db.collection('guardianships');
  await guardianshipDocs.createIndex({ childId: 1 });
  await guardianshipDocs.createIndex({ parentId: 1 });
  const registry = contractRegistry();
  const factory = new EventFactory(SERVICE, registry);
  const units = new OrgUnitRepository(orgUnits as never, db.collection('municipality_roots'), factory, locks, relay);
  const persons = new PersonRepository(personDocs as never, factory, locks, relay);
  await persons.backfillLogins(log);
  await units.backfillKeys(log);
  const audit = await startAuditLog(backbone, SERVICE, { runtime, logger: log, metrics, config });
  const vault = new CprVault({
    encryptionKeys: parseVaultKeys(config.CPR_ENCRYPTION_KEYS, 'CPR_ENCRYPTION_KEYS'),
    activeKeyId: config.CPR_ENCRYPTION_ACTIVE_KEY,
    lookupKey: parseBoxKey(config.CPR_LOOKUP_KEY),
  });
  const relations = new RelationRepository(membershipDocs as never, guardianshipDocs as never, factory, locks, relay);
  const sessions = new SessionStore(db.collection<Session>('sessions'), { idleMs: config.SESSION_IDLE_MINUTES * 60_000, maxAgeMs: config.SESSION_MAX_HOURS * 3600_000 });
  // Ended sessions and abandoned logins go once a minute, not as each login starts (decision 0002).
  // On the wall clock, as sessions and logins are timed (not the service's clock, which tests move).
  const sweepLogins = async () => (await sessions.removeEnded()) + (await removeStaleLoginAttempts(db.collection<LoginAttempt>('login_attempts')));
  runtime.every('ended sessions and abandoned logins', 60_000, sweepLogins);
  await sessions.init();
  // Where identity's children are placed (transitions' enrollments): when a child's entry may go.
  // Kept after transitions disposes of them (a municipality may keep placements shorter than
  // entries): the entry's clock starts from them, and they leave with the entry.
  const placements = new DirectoryView(db, ['enrollments'], { keepRemovedPlacements: true });
  await placements.init();
  // identity owns the directory: the privacy routes ask its records, not a projection of them.
  const privacy = await startPrivacy(backbone, {
    service: SERVICE,
    config,
    runtime,
    logger: log,
    audit,
    directory: identityRelations(persons, relations, units),
    clock,
    kinds: identityRetention({ persons, relations, placements, sessions, factory, clock }),
    data: identityChildData({ persons, relations, vault, audit }),
    auditTrail: identityAuditTrail(audit),
  });
  await startProjectionConsumer(backbone, { groupId: config.IDENTITY_CONSUMER_GROUP, topics: placements.topics(), handlers: placements.handlers(), registry, runtime, logger: log, metrics });
  const imports: ImportDeps = {
    jobs: new ImportJobs<string, ImportCounts>(db.collection('import_jobs')),
    vault,
    audit,
    units,
    persons,
    targets: {
      unitByExternalId: (municipalityId, externalId) => units.byExternalId(municipalityId, externalId),
      createUnit: (id, unit) => units.create(id, unit),
      personByCprHash: (hash) => persons.findByCprHash(hash),
      registerPerson: (id, person) => persons.register(id, person),
      grant: async (m) => relations.grant({ ...m, role: m.role as StaffRole }),
      registerGuardianship: (g) => relations.registerGuardianship(g),
    },
  };
  await resumeImports(imports, log);
  // An import whose request failed is taken up again once its back-off is over.
  runtime.every('import sweep', IMPORT_SWEEP_MS, () => resumeImports(imports, log));
  const cookie = { secure: config.SESSION_COOKIE_SECURE, maxAgeMs: config.SESSION_MAX_HOURS * 3600_000 };
  const absolute = (url: string) => new URL(url, `${config.TOKEN_ISSUER}/`).href;

  // identity verifies its own tokens from its key ring; other services use the JWKS endpoint.
  const localKeys: JWTVerifyGetKey = (header, token) => createLocalJWKSet(ring.jwks())(header, token);
  const verifier = createTokenVerifier({ jwksUrl: `${config.TOKEN_ISSUER}/.well-known/jwks.json`, issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE }, localKeys);

  const app = createApp({
    // The HTTP contract, checked against every exchange in tests; ../ is the package from src/ and dist/ alike.
    openapi: fileURLToPath(new URL('../openapi.yaml', import.meta.url)),
    service: SERVICE,
    bodyLimit: config.HTTP_BODY_LIMIT,
    extraBodyTypes: ['text/csv', 'application/csv', 'application/x-www-form-urlencoded'],
    logger: log,
    registry: metrics,
    isDraining: () => runtime.isDraining,
    readiness: backbone.readiness,
    routes: (router) => {
      router.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', 'public, max-age=60').json(ring.jwks());
      });
      router.use(['/admin', '/internal', '/children', '/retention-policies'], authenticate(verifier));
      internalRoutes(router, persons, vault, audit);
      orgUnitRoutes(router, units);
      personRoutes(router, persons, vault, audit);
      relationRoutes(router, persons, units, relations, audit);
      erasureRoutes(router, { persons, relations, placements, retention: privacy.retention, audit, clock });
      importRoutes(router, imports, config.HTTP_BODY_LIMIT);
      privacy.routes(router);
      const tokens = { issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS };
      serviceTokenRoutes(router, { clients: serviceClientsOf(config), ring: () => ring, tokens, logger: log });
      const providers: LoginProvider[] = [];
      const logins = [
        { kind: 'citizen' as const, issuer: config.CITIZEN_OIDC_ISSUER, clientId: config.CITIZEN_OIDC_CLIENT_ID, clientSecret: config.CITIZEN_OIDC_CLIENT_SECRET, scope: 'openid cpr', minimumLevel: 'substantial' as const, resolve: citizenResolver(config.CITIZEN_CPR_CLAIM, vault, persons, relations) },
        { kind: 'staff' as const, issuer: config.STAFF_OIDC_ISSUER, clientId: config.STAFF_OIDC_CLIENT_ID, clientSecret: config.STAFF_OIDC_CLIENT_SECRET, scope: 'openid email', minimumLevel: config.STAFF_MIN_NSIS_LEVEL, resolve: staffResolver(config.STAFF_USER_ID_CLAIM, persons, relations) },
      ];
      for (const login of logins) {
        if (login.issuer && login.clientId && login.clientSecret) {
          const settings = {
            ...login,
            issuer: login.issuer,
            clientId: login.clientId,
            clientSecret: login.clientSecret,
            redirectUri: `${config.TOKEN_ISSUER}/auth/${login.kind}/callback`,
            allowInsecureHttp: config.OIDC_ALLOW_INSECURE_HTTP,
            clockToleranceSeconds: config.OIDC_CLOCK_TOLERANCE_SECONDS,
            returnUrl: config.LOGIN_RETURN_URL,
            postLogoutRedirectUri: absolute(config.LOGOUT_RETURN_URL),
          };
          providers.push(oidcLoginRoutes(router, { settings, attempts: db.collection('login_attempts'), resolve: login.resolve, sessions, cookie, logger: log }));
        } else {
          router.all([`/auth/${login.kind}/login`, `/auth/${login.kind}/callback`, `/auth/${login.kind}/backchannel-logout`], () => {
            const prefix = login.kind.toUpperCase();
            throw new AppError({ status: 503, code: 'LOGIN_NOT_CONFIGURED', title: `${login.kind} login is not configured`, detail: `set ${prefix}_OIDC_ISSUER, ${prefix}_OIDC_CLIENT_ID and ${prefix}_OIDC_CLIENT_SECRET` });
          });
        }
      }
      sessionRoutes(router, {
        sessions,
        cookie,
        providers,
        person: (id) => persons.get(id),
        subjectOf: subjectOfPerson(relations),
        ring: () => ring,
        tokens,
        allowedOrigins: [new URL(config.TOKEN_ISSUER).origin, new URL(absolute(config.LOGIN_RETURN_URL)).origin, ...config.WEB_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean)],
        logoutReturnUrl: config.LOGOUT_RETURN_URL,
        logger: log,
      });
    },
  });
  const server = await runtime.listen(app, config.PORT);
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, runtime, config, keys: () => ring, audit, imports, db, privacy, sweepLogins };
}
