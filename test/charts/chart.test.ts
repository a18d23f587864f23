// The Helm chart, rendered by helm itself: every workload meets the restricted Pod Security
// Standard, has its probes and no service-account token, sits behind a default-deny
// NetworkPolicy that lets only the gateway take traffic from outside and lets each service reach
// only what it needs; and a wrong values file is refused naming what is wrong.
// helm must be installed (.ci/run does it; see deploy/charts/tools.ts): without it this fails.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { EVENT_SCHEMA_DIR } from '@spor/contracts';
import { topicOfType } from '@spor/events';
import { exampleValues, helmBinary, render, renderError, renderNotes, requiredValues, type Manifest } from '../../deploy/charts/tools.js';

// Topic names as production has them, without the test run's namespace (jest.config.mjs).
delete process.env.SPOR_TOPIC_NAMESPACE;

const WORKLOADS = ['action-plans', 'assessments', 'consent', 'gateway', 'identity', 'reporting', 'transitions'];
/** The workloads whose retention sweep archives records before deleting them (they pass kinds to startPrivacy). */
const RETAINING = ['action-plans', 'assessments', 'consent', 'identity', 'transitions'];
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The services whose code defines a retained kind (a RetainedKind names its `defaultDays`). */
function servicesDefiningRetainedKinds(): string[] {
  return WORKLOADS.filter((workload) => {
    const dir = join(REPO_ROOT, 'services', workload, 'src');
    return readdirSync(dir, { recursive: true })
      .map(String)
      .some((file) => file.endsWith('.ts') && /\bdefaultDays:/.test(readFileSync(join(dir, file), 'utf8')));
  });
}
const RELEASE = 'spor';

interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  startupProbe?: { httpGet?: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  automountServiceAccountToken?: boolean;
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes?: { name: string; emptyDir?: Record<string, unknown>; persistentVolumeClaim?: { claimName: string } }[];
  hostNetwork?: boolean;
  hostPID?: boolean;
}
interface Peer {
  podSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; values: string[] }[] };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { protocol: string; port: number }[];
}
interface PolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

const of = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const named = (manifests: Manifest[], kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found;
};
const podOf = (deployment: Manifest) => (deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const valuesOf = (file: string) => parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

const variants = [
  { name: 'defaults', valuesFiles: [requiredValues] },
  ...exampleValues.map((file) => ({ name: file.split('/').pop()!, valuesFiles: [file] })),
];

let work: string;
beforeAll(() => {
  helmBinary(); // a clear failure naming how to install helm, before anything else
  work = mkdtempSync(join(tmpdir(), 'spor-chart-test-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Values {
  archive?: { existingClaim?: string; persistentVolumeClaim?: { create?: boolean } };
  serviceMonitor?: { enabled?: boolean };
  kafka: { egress: { to: Peer[] } };
  mongo: { egress: { to: Peer[] } };
  services: { identity: { idpEgress?: { cidr: string }[] } };
}

describe.each(variants)('the chart rendered with $name', ({ valuesFiles }) => {
  let manifests: Manifest[];
  let values: Values;
  beforeAll(() => {
    manifests = render({ release: RELEASE, valuesFiles });
    values = valuesFiles.map(valuesOf).reduce((a, b) => ({ ...a, ...b }), {}) as unknown as Values;
  });

  /** The rules of the one NetworkPolicy that opens `direction` for the workload's pods. */
  const rulesOf = (workload: string, direction: 'ingress' | 'egress'): Rule[] => {
    const labels = podOf(named(manifests, 'Deployment', `${RELEASE}-${workload}`)).metadata.labels;
    const policies = of(manifests, 'NetworkPolicy')
      .map((p) => p.spec as unknown as PolicySpec)
      .filter((p) => selects(p.podSelector.matchLabels, labels) && p[direction]?.length);
    expect(policies).toHaveLength(1);
    return policies[0]![direction]!;
  };

  test('deploys every service and the gateway, each with its ServiceAccount, ConfigMap, Service and PodDisruptionBudget', () => {
    const names = (kind: string) => of(manifests, kind).map((m) => m.metadata.name).sort();
    const expected = WORKLOADS.map((w) => `${RELEASE}-${w}`);
    for (const kind of ['Deployment', 'ServiceAccount', 'ConfigMap', 'Service', 'PodDisruptionBudget']) expect(names(kind)).toEqual(expected);
    expect(of(manifests, 'Secret')).toEqual([]);
  });

  test.each(WORKLOADS)('%s runs under the restricted Pod Security Standard on a read-only root filesystem', (workload) => {
    const pod = podOf(named(manifests, 'Deployment', `${RELEASE}-${workload}`)).spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toEqual(expect.any(Number));
    expect(pod.securityContext.runAsUser).not.toBe(0);
    // The image's user, and the group a volume (the archive) is made writable for.
    expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    // Volumes: the /tmp emptyDir and, in a workload that retains records, the archive's claim; nothing else (no hostPath).
    const archiveClaim = values.archive?.existingClaim || (values.archive?.persistentVolumeClaim?.create ? `${RELEASE}-archive` : undefined);
    const expectedVolumes = [{ name: 'tmp', emptyDir: expect.any(Object) }, ...(archiveClaim && RETAINING.includes(workload) ? [{ name: 'archive', persistentVolumeClaim: { claimName: archiveClaim } }] : [])];
    expect(pod.volumes).toEqual(expectedVolumes);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    for (const container of pod.containers) {
      expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container.securityContext.privileged ?? false).toBe(false);
      expect(container.securityContext.capabilities?.add ?? []).toEqual([]);
      // The writable places: /tmp, an emptyDir, and (retaining workloads) the archive volume.
      const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      expect((container.volumeMounts ?? []).map((m) => m.name).sort()).toEqual(pod.volumes!.map((v) => v.name).sort());
      expect(container.resources?.requests?.cpu).toBeDefined();
      expect(container.resources?.limits?.memory).toBeDefined();
    }
  });

  test.each(WORKLOADS)('%s has no service-account token and probes /healthz and /readyz', (workload) => {
    const pod = podOf(named(manifests, 'Deployment', `${RELEASE}-${workload}`)).spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(named(manifests, 'ServiceAccount', pod.serviceAccountName).automountServiceAccountToken).toBe(false);
    const [container] = pod.containers;
    expect(container!.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container!.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container!.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  test.each(WORKLOADS)('%s reads every secret from a Secret, none from its ConfigMap or a literal', (workload) => {
    const [container] = podOf(named(manifests, 'Deployment', `${RELEASE}-${workload}`)).spec.containers;
    for (const variable of container!.env ?? []) expect(variable.valueFrom?.secretKeyRef?.name).toEqual(expect.any(String));
    const config = named(manifests, 'ConfigMap', `${RELEASE}-${workload}`).data ?? {};
    expect(Object.keys(config).filter((key) => /MONGO_URL|SECRET|_KEYS?$|SERVICE_CLIENTS/.test(key))).toEqual([]);
    const fromSecrets = (container!.env ?? []).map((e) => e.name);
    if (workload === 'gateway') expect(fromSecrets).toEqual([]);
    else expect(fromSecrets).toContain('MONGO_URL');
    if (workload === 'identity') expect(fromSecrets).toEqual(expect.arrayContaining(['SIGNING_KEY_SEAL_KEY', 'CPR_ENCRYPTION_KEYS', 'CPR_ENCRYPTION_ACTIVE_KEY', 'CPR_LOOKUP_KEY']));
  });

  test('a default-deny NetworkPolicy covers every pod, for ingress and egress', () => {
    const deny = named(manifests, 'NetworkPolicy', `${RELEASE}-default-deny`).spec as unknown as PolicySpec;
    expect(deny.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(deny.ingress ?? []).toEqual([]);
    expect(deny.egress ?? []).toEqual([]);
    for (const workload of WORKLOADS) {
      expect(selects(deny.podSelector.matchLabels, podOf(named(manifests, 'Deployment', `${RELEASE}-${workload}`)).metadata.labels)).toBe(true);
    }
  });

  test.each(WORKLOADS)('%s takes traffic only as its NetworkPolicy allows: from outside the release only the gateway, from the ingress controller', (workload) => {
    const monitoring = values.serviceMonitor?.enabled === true;
    const rules = rulesOf(workload, 'ingress');
    for (const rule of rules) {
      expect(rule.from?.length).toBeGreaterThan(0); // an empty `from` would admit everyone
      expect(rule.ports).toEqual([{ protocol: 'TCP', port: 8080 }]);
    }
    const outside = rules.flatMap((r) => r.from!).filter((peer) => peer.namespaceSelector || peer.ipBlock);
    const controller = outside.filter((peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']?.includes('ingress'));
    if (workload === 'gateway') expect(controller.length).toBeGreaterThan(0);
    else expect(controller).toEqual([]);
    // Besides the ingress controller (gateway) only Prometheus, when scraping is on, comes from outside.
    const others = outside.filter((peer) => !controller.includes(peer));
    if (monitoring) expect(others.every((peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring')).toBe(true);
    else expect(others).toEqual([]);
    // Inside the release, a service is called by the gateway (and identity by every Spor pod).
    const inside = rules.flatMap((r) => r.from!).filter((peer) => !peer.namespaceSelector && !peer.ipBlock);
    if (workload === 'gateway') expect(inside).toEqual([]);
    else expect(inside.map((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? 'every Spor pod').sort()).toEqual(workload === 'identity' ? ['every Spor pod', 'gateway'] : ['gateway']);
  });

  test.each(WORKLOADS)('%s reaches only DNS, Kafka, its database, identity and (identity) the IdPs', (workload) => {
    const rules = rulesOf(workload, 'egress');
    for (const rule of rules) {
      expect(rule.to?.length).toBeGreaterThan(0); // an empty `to` would allow any destination
      expect(rule.ports?.length).toBeGreaterThan(0);
    }
    const kind = (rule: Rule): string => {
      const ports = rule.ports!.map((p) => p.port);
      if (ports.includes(53)) return 'dns';
      if (JSON.stringify(rule.to) === JSON.stringify(values.kafka.egress.to) && !ports.includes(8080)) return 'kafka';
      if (JSON.stringify(rule.to) === JSON.stringify(values.mongo.egress.to) && !ports.includes(8080)) return 'database';
      const pods = rule.to!.map((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? p.podSelector?.matchExpressions?.find((e) => e.key === 'app.kubernetes.io/name')?.values.join(','));
      if (rule.to!.every((p) => p.podSelector && !p.namespaceSelector)) return `pods:${pods.join(',')}`;
      if (rule.to!.every((p) => p.ipBlock && (values.services.identity.idpEgress ?? []).some((idp) => idp.cidr === p.ipBlock!.cidr))) return 'idp';
      return `unexpected ${JSON.stringify(rule)}`;
    };
    const kinds = rules.map(kind);
    const hasIdps = (values.services.identity.idpEgress ?? []).length > 0;
    if (workload === 'gateway') expect(kinds).toEqual(['dns', `pods:${WORKLOADS.filter((w) => w !== 'gateway').join(',')}`]);
    else if (workload === 'identity') expect(kinds).toEqual(['dns', 'kafka', 'database', ...(hasIdps ? values.services.identity.idpEgress!.map(() => 'idp') : [])]);
    else expect(kinds).toEqual(['dns', 'kafka', 'database', 'pods:identity']);
  });

  test('the gateway is published by an Ingress over TLS, and nothing else is', () => {
    const ingresses = of(manifests, 'Ingress');
    expect(ingresses).toHaveLength(1);
    const spec = ingresses[0]!.spec as { tls: { hosts: string[]; secretName: string }[]; rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[] };
    expect(spec.tls[0]!.secretName).toEqual(expect.any(String));
    expect(spec.tls[0]!.hosts).toEqual([spec.rules[0]!.host]);
    expect(spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service.name))).toEqual([`${RELEASE}-gateway`]);
    for (const service of of(manifests, 'Service')) expect((service.spec as { type: string }).type).toBe('ClusterIP');
  });
});

describe('Kafka topics', () => {
  test('with Strimzi switched on, every topic of an event type in libs/contracts is declared with partitions and retention from values, plus its dead-letter topics', () => {
    const manifests = render({ release: RELEASE, valuesFiles: [requiredValues], set: { 'kafkaTopics.strimzi.enabled': 'true', 'kafkaTopics.partitions': '5', 'kafkaTopics.retentionMs': '86400000' } });
    const topics = new Map(of(manifests, 'KafkaTopic').map((t) => [t.metadata.name, t.spec as { topicName: string; partitions: number; config: Record<string, string> }]));
    const fromContracts = new Set(
      readdirSync(EVENT_SCHEMA_DIR)
        .filter((file) => file.endsWith('.schema.json'))
        .map((file) => topicOfType(file.replace(/\.schema\.json$/, ''))),
    );
    expect(fromContracts.size).toBeGreaterThan(5);
    for (const topic of [...fromContracts, 'spor.audit.access.v1']) {
      expect(topics.get(topic)).toMatchObject({ topicName: topic, partitions: 5, config: { 'retention.ms': '86400000' } });
    }
    // Readers of identity's organisation tree each get their dead-letter topic (libs/events naming).
    for (const group of ['assessments', 'action-plans', 'consent-directory', 'transitions', 'reporting']) {
      expect(topics.get(`spor.identity.orgunit.v1.dlq.${group}`)).toMatchObject({ partitions: 1 });
    }
  });

  test('without the switch no KafkaTopic is rendered (the services then create missing topics themselves)', () => {
    expect(of(render({ release: RELEASE, valuesFiles: [requiredValues] }), 'KafkaTopic')).toEqual([]);
  });
});

describe('the retention archive', () => {
  /** What one workload gets of the archive: claims of its volumes, where they are mounted, its ARCHIVE_DIR. */
  const archiveOf = (manifests: Manifest[], workload: string) => {
    const pod = podOf(named(manifests, 'Deployment', `${RELEASE}-${workload}`)).spec;
    const claimed = (pod.volumes ?? []).filter((v) => v.persistentVolumeClaim);
    const mounts = pod.containers.flatMap((c) => (c.volumeMounts ?? []).filter((m) => claimed.some((v) => v.name === m.name)));
    return {
      claims: claimed.map((v) => v.persistentVolumeClaim!.claimName),
      mounts,
      archiveDir: named(manifests, 'ConfigMap', `${RELEASE}-${workload}`).data?.ARCHIVE_DIR,
    };
  };
  const withArchive = (manifests: Manifest[]) => WORKLOADS.filter((w) => archiveOf(manifests, w).claims.length > 0);

  test('without a volume no workload mounts one, ARCHIVE_DIR is not set, no claim is created, and the notes warn that expired records are kept', () => {
    const manifests = render({ release: RELEASE, valuesFiles: [requiredValues] });
    for (const workload of WORKLOADS) expect(archiveOf(manifests, workload)).toEqual({ claims: [], mounts: [], archiveDir: undefined });
    expect(of(manifests, 'PersistentVolumeClaim')).toEqual([]);
    const notes = renderNotes({ release: RELEASE, valuesFiles: [requiredValues] });
    expect(notes).toMatch(/WARNING: no retention archive volume\. action-plans, assessments, consent, identity, transitions archive each expired record/);
    expect(notes).toMatch(/expired\s+records are KEPT/);
    expect(notes).toMatch(/archive\.existingClaim/);
  });

  test('an existing claim is mounted as given into exactly the workloads that retain records, and their ARCHIVE_DIR points into the mount', () => {
    const set = { 'archive.existingClaim': 'municipal-archive-nfs' };
    const manifests = render({ release: RELEASE, valuesFiles: [requiredValues], set });
    expect(withArchive(manifests)).toEqual(RETAINING);
    for (const workload of RETAINING) {
      const { claims, mounts, archiveDir } = archiveOf(manifests, workload);
      expect(claims).toEqual(['municipal-archive-nfs']);
      expect(mounts).toHaveLength(1);
      expect(mounts[0]!.readOnly ?? false).toBe(false);
      expect(mounts[0]!.mountPath).toMatch(/^\/(?!tmp\b)./); // absolute, and not the pod's /tmp
      expect(archiveDir === mounts[0]!.mountPath || archiveDir?.startsWith(`${mounts[0]!.mountPath}/`)).toBe(true);
    }
    for (const workload of WORKLOADS.filter((w) => !RETAINING.includes(w))) expect(archiveOf(manifests, workload).archiveDir).toBeUndefined();
    // The operator's claim is used, none is created.
    expect(of(manifests, 'PersistentVolumeClaim')).toEqual([]);
    const notes = renderNotes({ release: RELEASE, valuesFiles: [requiredValues], set });
    expect(notes).toMatch(/Retention archive: +claim municipal-archive-nfs, mounted at \/\S+ \(ARCHIVE_DIR\)/);
    expect(notes).not.toMatch(/WARNING/);
  });

  test('a claim the chart creates has the storage class, size and access modes of the values (ReadWriteMany by default), is kept on uninstall, and is the one mounted', () => {
    const manifests = render({ release: RELEASE, valuesFiles: [requiredValues], set: { 'archive.persistentVolumeClaim.create': 'true', 'archive.persistentVolumeClaim.storageClassName': 'cephfs', 'archive.persistentVolumeClaim.size': '250Gi' } });
    const claims = of(manifests, 'PersistentVolumeClaim');
    expect(claims).toHaveLength(1);
    const [claim] = claims;
    expect(claim!.spec).toEqual({ accessModes: ['ReadWriteMany'], storageClassName: 'cephfs', resources: { requests: { storage: '250Gi' } } });
    expect(claim!.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(withArchive(manifests)).toEqual(RETAINING);
    for (const workload of RETAINING) expect(archiveOf(manifests, workload).claims).toEqual([claim!.metadata.name]);

    // Other modes as given; no class named: the field is left out, so the cluster's default class provisions it.
    const other = render({ release: RELEASE, valuesFiles: [requiredValues], set: { 'archive.persistentVolumeClaim.create': 'true', 'archive.persistentVolumeClaim.accessModes': '{ReadWriteOnce}' } });
    expect(named(other, 'PersistentVolumeClaim', claim!.metadata.name).spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
  });

  test('the workloads that retain records by default are exactly the services whose code defines a retained kind', () => {
    // A service that starts retaining records without the volume fails every archiving on the
    // read-only root filesystem and keeps what should go.
    expect(servicesDefiningRetainedKinds()).toEqual(RETAINING);
  });

  test('which workloads get the archive is data: retainsRecords per workload overrides the default', () => {
    const manifests = render({ release: RELEASE, valuesFiles: [requiredValues], set: { 'archive.existingClaim': 'municipal-archive-nfs', 'services.reporting.retainsRecords': 'true', 'services.assessments.retainsRecords': 'false' } });
    expect(withArchive(manifests)).toEqual(['action-plans', 'consent', 'identity', 'reporting', 'transitions']);
    expect(archiveOf(manifests, 'reporting').archiveDir).toEqual(archiveOf(manifests, 'action-plans').mounts[0]!.mountPath);
    expect(archiveOf(manifests, 'assessments').archiveDir).toBeUndefined();
  });
});

// Values files are edited freely here, whatever their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyValues = Record<string, any>;

describe('a wrong values file is refused, naming what is wrong', () => {
  const writeValues = (name: string, edit: (values: AnyValues) => void): string => {
    const values = valuesOf(exampleValues[0]!) as AnyValues;
    edit(values);
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, stringify(values));
    return file;
  };

  test('a service without its database Secret reference', () => {
    const file = writeValues('no-mongo-secret', (v) => delete v.services.consent.mongo.existingSecret);
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/services\/consent\/mongo': missing property 'existingSecret'/);
  });

  test("identity without the Secret of its keys", () => {
    const file = writeValues('no-keys', (v) => delete v.services.identity.keys);
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/services\/identity\/keys': missing property 'existingSecret'/);
  });

  test('citizen login switched on without its client secret', () => {
    const file = writeValues('no-oidc-secret', (v) => delete v.services.identity.citizenLogin.existingSecret);
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/services\/identity\/citizenLogin': missing property 'existingSecret'/);
  });

  test('no Kafka brokers', () => {
    const file = writeValues('no-brokers', (v) => delete v.kafka.brokers);
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/kafka': missing property 'brokers'/);
  });

  test('a wrong type', () => {
    const file = writeValues('wrong-type', (v) => (v.services.reporting.replicas = 'two'));
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/services\/reporting\/replicas': got string, want integer/);
  });

  test('an egress rule without destinations (which would allow every destination)', () => {
    const file = writeValues('empty-egress', (v) => (v.mongo.egress.to = []));
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/mongo\/egress\/to': minItems: got 0, want 1/);
  });

  test('an archive claim of a size Kubernetes does not read', () => {
    const file = writeValues('archive-size', (v) => (v.archive = { persistentVolumeClaim: { create: true, size: '50 GB' } }));
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/archive\/persistentVolumeClaim\/size': '50 GB' does not match pattern/);
  });

  test('an archive claim with an access mode the sweeps cannot write through', () => {
    const file = writeValues('archive-mode', (v) => (v.archive = { persistentVolumeClaim: { create: true, accessModes: ['ReadOnlyMany'] } }));
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/archive\/persistentVolumeClaim\/accessModes\/0': value must be one of 'ReadWriteMany', 'ReadWriteOnce'/);
  });

  test('an existing archive claim and one to create, both', () => {
    const file = writeValues('archive-both', (v) => (v.archive = { existingClaim: 'spor-archive-nfs', persistentVolumeClaim: { create: true } }));
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/archive\/persistentVolumeClaim\/create': value must be false/);
  });

  test('an archive claim name that is no Kubernetes name', () => {
    const file = writeValues('archive-name', (v) => (v.archive = { existingClaim: 'Archive_NFS' }));
    expect(renderError({ valuesFiles: [file] })).toMatch(/'\/archive\/existingClaim': 'Archive_NFS' does not match pattern/);
  });

  test('ARCHIVE_DIR set by hand (it would point at the read-only root or the pod\'s /tmp)', () => {
    const file = writeValues('archive-dir', (v) => (v.services.assessments.config = { ARCHIVE_DIR: '/tmp/archive' }));
    expect(renderError({ valuesFiles: [file] })).toMatch(/services\.assessments\.config\.ARCHIVE_DIR: set by the chart/);
  });

  test('a secret put in a ConfigMap', () => {
    const file = writeValues('secret-in-config', (v) => (v.services.transitions.config = { TRANSITIONS_CLIENT_SECRET: 'x'.repeat(20) }));
    expect(renderError({ valuesFiles: [file] })).toMatch(/services\.transitions\.config\.TRANSITIONS_CLIENT_SECRET: a secret never goes in a ConfigMap/);
  });
});
