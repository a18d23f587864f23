// FOR DEVELOPMENT ONLY. Seeds the demo municipality through the services' own APIs and imports,
// as municipal IT and the staff would: identity's directory import, transitions' enrollment import,
// the consultant's district council meetings, and a round of well-being ratings. Each step finds
// what an earlier seed made and leaves it (the imports answer 200 for a file they took already),
// so a second `npm start` reuses the data instead of duplicating it.
import { directoryImport, enrollmentImport, type DemoMunicipality } from './demo-municipality.js';

export interface RoleGrant {
  role: string;
  unitId: string;
}

export interface SeedContext {
  /** The URL of a service's path (directly, or through the gateway). */
  url: (service: string, path: string) => string;
  /** `Bearer <token>` for a staff member with these roles, as identity's login would issue it. */
  staffToken: (personId: string, roles: RoleGrant[]) => Promise<string>;
  log?: (message: string) => void;
  /** How long to wait for a service to learn of the directory from the topics. */
  timeoutMs?: number;
}

export interface SeededDemo {
  demo: DemoMunicipality;
  rootId: string;
  /** Unit ids by external id. */
  units: Map<string, string>;
  /** Person ids of staff and children, by their key in the demo. */
  persons: Map<string, string>;
}

/** The bootstrap administrator: no person, the system-administrator role of the municipality. */
export const SEED_ADMIN_ID = '00000000-0000-4000-8000-000000005eed';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(ctx: SeedContext, token: string, method: string, service: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(ctx.url(service, path), {
    method,
    headers: { authorization: token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function expect(answer: Answer, statuses: number[], what: string): Answer {
  if (!statuses.includes(answer.status)) throw new Error(`seeding the demo: ${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
}

/**
 * Repeats `attempt` while it answers one of `retry` (another service has not learnt of the
 * directory from the topics yet; the gateway gave up waiting on a long import, which identity
 * finishes anyway and then answers for); any other answer than `statuses` fails at once.
 */
async function eventually(ctx: SeedContext, what: string, statuses: number[], attempt: () => Promise<Answer>, retry = [404, 409, 422, 503, 504]): Promise<Answer> {
  const deadline = Date.now() + (ctx.timeoutMs ?? 300_000);
  for (;;) {
    const answer = await attempt();
    if (statuses.includes(answer.status)) return answer;
    if (!retry.includes(answer.status) || Date.now() > deadline) throw new Error(`seeding the demo: ${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const today = () => new Date().toISOString().slice(0, 10);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

export async function seedDemo(demo: DemoMunicipality, ctx: SeedContext): Promise<SeededDemo> {
  const log = ctx.log ?? (() => undefined);
  const bootstrap = await ctx.staffToken(SEED_ADMIN_ID, [{ role: 'system-administrator', unitId: 'root' }]);

  // The municipality's root first, so the import file can hang everything under it by external id.
  const created = await call(ctx, bootstrap, 'POST', 'identity', '/admin/org-units', { kind: 'municipality', name: demo.name, parentId: null, municipalityCode: demo.code, externalId: demo.rootExternalId });
  const rootId = created.status === 201 ? String(created.body.id) : /unit ([0-9a-f-]{36})/.exec(String(expect(created, [409], 'creating the municipality').body.detail))?.[1];
  if (!rootId) throw new Error(`seeding the demo: cannot tell the municipality's unit from ${JSON.stringify(created.body)}`);
  const directory = await eventually(ctx, 'the directory import', [200, 201], () => call(ctx, bootstrap, 'POST', 'identity', '/admin/imports', directoryImport(demo)), [409, 503, 504]);
  log(directory.status === 201 ? `demo municipality ${demo.code}: directory imported` : `demo municipality ${demo.code}: directory there already`);

  const units = new Map<string, string>([[demo.rootExternalId, rootId]]);
  const walk = async (unitId: string): Promise<void> => {
    const { body } = expect(await call(ctx, bootstrap, 'GET', 'identity', `/admin/org-units/${unitId}/children`), [200], 'the organisation tree');
    for (const unit of body.items as { id: string; externalId?: string }[]) {
      if (unit.externalId) units.set(unit.externalId, unit.id);
      await walk(unit.id);
    }
  };
  await walk(rootId);
  log(`demo municipality ${demo.code}: ${units.size} units`);

  const persons = new Map<string, string>();
  for (const p of [...demo.staff, ...demo.children]) {
    const { body } = expect(await call(ctx, bootstrap, 'POST', 'identity', '/admin/person-lookups', { cpr: p.cpr, purpose: 'seeding the development demo municipality' }), [200], `looking up ${p.key}`);
    persons.set(p.key, String(body.personId));
  }
  const staffOf = (key: string) => {
    const s = demo.staff.find((m) => m.key === key)!;
    return ctx.staffToken(persons.get(key)!, [{ role: s.role, unitId: units.get(s.unitExternalId)! }]);
  };

  // Placements: transitions maps the CPR numbers through identity, once it knows the institutions.
  const admin = await ctx.staffToken(SEED_ADMIN_ID, [{ role: 'system-administrator', unitId: rootId }]);
  const placed = await eventually(ctx, 'the enrollment import (transitions learning the institutions)', [200, 201], () => call(ctx, admin, 'POST', 'transitions', '/imports/enrollments', enrollmentImport(demo)));
  log(placed.status === 201 ? `demo municipality ${demo.code}: children placed` : `demo municipality ${demo.code}: placements there already`);

  // District council meetings, kept by the pedagogical consultant.
  const consultant = await staffOf('karen.konsulent');
  for (const district of demo.units.filter((u) => u.kind === 'district')) {
    const districtId = units.get(district.externalId)!;
    const { body } = await eventually(ctx, `the council meetings of ${district.name}`, [200], () => call(ctx, consultant, 'GET', 'action-plans', `/districts/${districtId}/council-meetings`));
    // Meetings lie in the past after a while: a later start adds new ones when none is far enough ahead for a case.
    if ((body.items as { on: string }[]).some((m) => m.on >= inDays(10))) continue;
    for (const days of demo.councilMeetingsInDays) {
      await eventually(ctx, `a council meeting of ${district.name}`, [201], () => call(ctx, consultant, 'POST', 'action-plans', `/districts/${districtId}/council-meetings`, { on: inDays(days) }));
    }
  }

  // A round of well-being ratings at Solsikken: two independent ratings, then the team's joint one.
  const raters = [await staffOf('hanne.leder'), await staffOf('ole.vejleder')];
  let rated = 0;
  for (const child of demo.children.filter((c) => c.wellbeing)) {
    const childId = persons.get(child.key)!;
    const history = await eventually(ctx, `assessments learning where ${child.key} is placed`, [200], () => call(ctx, raters[0]!, 'GET', 'assessments', `/children/${childId}/assessments?instrumentId=trivselsvurdering`));
    if ((history.body.items as unknown[]).length > 0) continue;
    // A yellow or red rating names its areas of concern (trivselsvurdering version 2).
    const answers = { samlet: child.wellbeing, ...(child.wellbeing === 'green' ? {} : { omraader: ['socialt'] }) };
    const basedOn: string[] = [];
    for (const rater of raters) {
      const independent = await call(ctx, rater, 'POST', 'assessments', '/assessments', { instrumentId: 'trivselsvurdering', childId, answers, complete: true });
      basedOn.push(String(expect(independent, [201], 'an independent well-being rating').body.id));
    }
    expect(await call(ctx, raters[0]!, 'POST', 'assessments', '/assessments', { instrumentId: 'trivselsvurdering', childId, rating: 'joint', basedOn, answers, complete: true }), [201], 'a joint well-being rating');
    rated++;
  }
  if (rated > 0) log(`demo municipality ${demo.code}: ${rated} well-being ratings of ${today()}`);
  return { demo, rootId, units, persons };
}
