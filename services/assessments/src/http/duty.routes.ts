// Lists of who is due: assessment rounds set by the municipality, and the language-assessment
// duties of the daycare act § 11. Leaders and staff see their institution's lists; pedagogical
// consultants and administration also see the children around three who are in no daycare.
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import type { Collection } from 'mongodb';
import { AppError, conflict, forbidden, notFound, validated, z } from '@spor/service-kit';
import { principalOf, requireRole, type StaffRole } from '@spor/auth';
import { childAccessRefusal, danishDay, holdsRoleAt, type DirectoryView, type KnownPerson } from '@spor/directory';
import type { AuditLog } from '@spor/audit';
import { findEach } from '@spor/mongo';
import { countsOnList, languageDuty, roundInstitution, roundStatus, roundsOverlap, type Round } from '../domain/duties.js';
import { ageInMonths } from '../domain/instrument.js';
import type { InstrumentCatalogue } from '../store/instrument-catalogue.js';
import type { AssessmentRepository } from '../store/assessment-repository.js';

export interface StoredRound extends Round {
  _id: string;
  municipalityId: string;
  name: string;
  createdBy: string;
}

export interface Presumption {
  _id: string;
  /** Stored since 2026-12 (the id is the child's); older entries have neither. */
  childId?: string;
  municipalityId?: string;
  /**
   * The institution whose staff presumed the need, stored since 2026-12-07: their judgement
   * counts on their own list only, and does not follow the child to the next institution.
   */
  institutionId?: string;
  presumedNeed: boolean;
  by: string;
  at: Date;
}

const LIST_ROLES: StaffRole[] = ['educator', 'leader', 'pedagogical-consultant', 'ppr-psychologist', 'administration'];
const MUNICIPALITY_WIDE: StaffRole[] = ['pedagogical-consultant', 'administration'];

export interface DutyDeps {
  rounds: Collection<StoredRound>;
  presumptions: Collection<Presumption>;
  assessments: AssessmentRepository;
  catalogue: InstrumentCatalogue;
  directory: DirectoryView;
  audit: AuditLog;
  clock: () => Date;
}

const DAYCARE = new Set(['dagpleje', 'vuggestue', 'boernehave']);

export function dutyRoutes(router: Router, deps: DutyDeps): void {
  const { rounds, presumptions, assessments, catalogue, directory, audit, clock } = deps;

  async function institutionFor(req: Request, institutionId: string) {
    const principal = principalOf(req);
    const path = await directory.unitPath(institutionId);
    const institution = path[0];
    if (!institution || institution.kind !== 'institution' || institution.municipalityId !== principal.municipalityId) throw notFound(`institution ${institutionId}`);
    if (!(await holdsRoleAt(directory, principal, LIST_ROLES, institutionId))) throw forbidden('the lists of an institution are for its staff and those above it', 'ROLE_REQUIRED');
    return institution;
  }

  /**
   * A list that shows each child's status is a read of each child's record, logged on the child
   * so that the child's (and parents') access report shows it; `purpose` names the list.
   */
  const auditEachChild = (req: Request, listed: { childId: string }[], entry: { recordType: string; recordId: string | null; institutionId?: string; purpose: string }) =>
    audit.recordAll(principalOf(req), listed.map(({ childId }) => ({ action: 'read', ...entry, childId })));

  const completedOn = async (childIds: string[], instrumentId: string) => {
    const done = new Map<string, { day: string; ageMonths: number | null; institutionId: string }[]>();
    for (const a of await assessments.completedFor(childIds, instrumentId)) {
      if (a.target.kind !== 'child' || a.rating === 'independent') continue;
      const list = done.get(a.target.childId) ?? [];
      // The Danish calendar day, as the window is: 00:30 on 1 September is inside a September round.
      list.push({ day: danishDay(new Date(a.completedAt!)), ageMonths: a.ageMonths, institutionId: a.institutionId });
      done.set(a.target.childId, list);
    }
    return done;
  };

  router.post(
    '/rounds',
    requireRole('system-administrator', 'pedagogical-consultant'),
    validated({ body: z.strictObject({ name: z.string().trim().min(3).max(200), instrumentId: z.string().regex(/^[a-z][a-z0-9-]{1,60}$/), from: z.iso.date(), to: z.iso.date(), institutionTypes: z.array(z.enum(['dagpleje', 'vuggestue', 'boernehave', 'skole', 'sfo'])).min(1) }) }, async ({ body }, req, res) => {
      const principal = principalOf(req);
      if (body.to < body.from) throw new AppError({ status: 422, code: 'ROUND_INVALID', title: 'The round is not valid', detail: `to: the window ends (${body.to}) before it begins (${body.from})`, errors: [{ in: 'body', field: 'to', message: 'before from' }] });
      const instrument = await catalogue.current(principal.municipalityId, body.instrumentId);
      if (!instrument || instrument.target !== 'child') throw new AppError({ status: 422, code: 'UNKNOWN_INSTRUMENT', title: 'No such instrument for children', detail: `instrumentId: no child instrument ${body.instrumentId}`, errors: [{ in: 'body', field: 'instrumentId', message: 'no child instrument of that id' }] });
      // No assessment with the instrument can be made at another kind of institution, so its list there would never be done.
      const notUsed = body.institutionTypes.filter((t) => !instrument.institutionTypes.includes(t));
      if (notUsed.length > 0) throw new AppError({ status: 422, code: 'ROUND_INVALID', title: 'The round is not valid', detail: `institutionTypes: ${body.instrumentId} is used at ${instrument.institutionTypes.join(', ')}, not at ${notUsed.join(', ')}`, errors: [{ in: 'body', field: 'institutionTypes', message: `${body.instrumentId} is not used at ${notUsed.join(', ')}` }] });
      const round: StoredRound = { _id: randomUUID(), municipalityId: principal.municipalityId, createdBy: principal.subject, ...body };
      const overlapping = (await rounds.find({ municipalityId: principal.municipalityId, instrumentId: body.instrumentId }).toArray()).find((r) => roundsOverlap(r, round));
      if (overlapping) throw conflict('ROUND_OVERLAPS', `round ${overlapping._id} (${overlapping.from} to ${overlapping.to}) already runs ${body.instrumentId} for ${overlapping.institutionTypes.filter((t) => (body.institutionTypes as string[]).includes(t)).join(', ')} in part of this window`);
      await rounds.insertOne(round);
      res.status(201).location(`/rounds/${round._id}`).json(round);
    }),
  );

  router.get('/rounds', requireRole(...LIST_ROLES, 'system-administrator'), async (req, res) => {
    res.json({ items: await rounds.find({ municipalityId: principalOf(req).municipalityId }).sort({ from: -1 }).toArray() });
  });

  const roundOf = async (req: Request, roundId: string) => {
    const round = await rounds.findOne({ _id: roundId, municipalityId: principalOf(req).municipalityId });
    if (!round) throw notFound(`round ${roundId}`);
    return round;
  };

  /**
   * A round's list for an institution, or for one of its groups: the children placed there during
   * the window whose age fits the instrument, each done or not done, with the counts.
   */
  async function roundList(req: Request, round: StoredRound, institution: { _id: string; institutionType?: string | null }, groupId?: string) {
    if (!round.institutionTypes.includes(institution.institutionType ?? '')) return { applies: false, children: [] };
    const instrument = await catalogue.current(round.municipalityId, round.instrumentId);
    const placements = (await directory.placementsAt(institution._id, round.from, round.to)).filter((p) => !groupId || p.groupId === groupId);
    // A child that moved during the window is on one list only: the institution it is counted at.
    const today = danishDay(clock());
    const histories = new Map(await Promise.all([...new Set(placements.map((p) => p.childId))].map(async (id) => [id, await directory.placementHistory(id)] as const)));
    const here = [...histories].map(([id, history]) => (roundInstitution(history, round, today, institution.institutionType) === institution._id ? id : null));
    const people = await Promise.all(here.filter((id): id is string => id !== null).map((id) => directory.person(id)));
    const ageRange = instrument?.ageMonths;
    const due = people.filter((p): p is KnownPerson => !!p && (!ageRange || (p.birthYear !== undefined && ageInMonths(p.birthYear, p.birthMonth!, round.to) >= ageRange.min && ageInMonths(p.birthYear, p.birthMonth!, round.from) <= ageRange.max)));
    const done = await completedOn(due.map((p) => p._id), round.instrumentId);
    const counted = (childId: string) => (done.get(childId) ?? []).filter((d) => countsOnList(histories.get(childId) ?? [], d.institutionId, institution.institutionType)).map((d) => d.day);
    const children = due.map((p) => ({ childId: p._id, status: roundStatus(round, counted(p._id)) }));
    await audit.record(principalOf(req), { action: 'read', recordType: 'round-list', recordId: round._id, institutionId: groupId ?? institution._id });
    await auditEachChild(req, children, { recordType: 'round-status', recordId: round._id, institutionId: institution._id, purpose: 'round-list' });
    return { applies: true, due: children.length, done: children.filter((c) => c.status === 'done').length, children };
  }

  router.get(
    '/rounds/:roundId/institutions/:institutionId',
    validated({ params: z.object({ roundId: z.uuid(), institutionId: z.uuid() }) }, async ({ params }, req, res) => {
      const round = await roundOf(req, params.roundId);
      const institution = await institutionFor(req, params.institutionId);
      res.json({ roundId: round._id, institutionId: institution._id, ...(await roundList(req, round, institution)) });
    }),
  );

  // The same list for one group: what its educators work through.
  router.get(
    '/rounds/:roundId/groups/:groupId',
    validated({ params: z.object({ roundId: z.uuid(), groupId: z.uuid() }) }, async ({ params }, req, res) => {
      const round = await roundOf(req, params.roundId);
      const principal = principalOf(req);
      const group = await directory.unit(params.groupId);
      if (!group || group.kind !== 'group' || group.municipalityId !== principal.municipalityId || !group.parentId) throw notFound(`group ${params.groupId}`);
      if (!(await holdsRoleAt(directory, principal, LIST_ROLES, group._id))) throw forbidden('the lists of a group are for its staff and those above it', 'ROLE_REQUIRED');
      const institution = await directory.unit(group.parentId);
      if (!institution || institution.kind !== 'institution') throw notFound(`group ${params.groupId}`);
      res.json({ roundId: round._id, groupId: group._id, institutionId: institution._id, ...(await roundList(req, round, institution, group._id)) });
    }),
  );

  router.put(
    '/children/:childId/language-presumption',
    requireRole('educator', 'leader', 'pedagogical-consultant', 'ppr-psychologist'),
    validated({ params: z.object({ childId: z.uuid() }), body: z.strictObject({ presumedNeed: z.boolean() }) }, async ({ params, body }, req, res) => {
      const principal = principalOf(req);
      const placements = await directory.placementsOn(params.childId, danishDay(clock()));
      // Staff anywhere in the child's institution (its groups included) may record their judgement.
      const reachable = await Promise.all(placements.map(async (p) => ((await holdsRoleAt(directory, principal, LIST_ROLES, p.institutionId)) ? p.institutionId : null)));
      const institutionId = reachable.find((id): id is string => id !== null);
      if (!institutionId) throw await childAccessRefusal(directory, principal, params.childId);
      await audit.record(principal, { action: 'update', recordType: 'language-presumption', recordId: params.childId, childId: params.childId });
      // The child and municipality are stored too, for the retention sweep and the child's insight.
      await presumptions.replaceOne({ _id: params.childId }, { childId: params.childId, municipalityId: principal.municipalityId, institutionId, presumedNeed: body.presumedNeed, by: principal.subject, at: clock() }, { upsert: true });
      res.json({ childId: params.childId, presumedNeed: body.presumedNeed });
    }),
  );

  /** Language duties: for one institution's children, or (municipality-wide roles) for the children in no daycare. */
  router.get(
    '/language-duties',
    validated({ query: z.strictObject({ institutionId: z.uuid().optional() }) }, async ({ query }, req, res) => {
      const principal = principalOf(req);
      const today = danishDay(clock());
      let children: { person: KnownPerson; inDaycare: boolean }[];
      // Whose presumption counts: the listed institution's (or one stored before it was recorded).
      const presumedHere = (p: Presumption) => !query.institutionId || p.institutionId === undefined || p.institutionId === query.institutionId;
      if (query.institutionId) {
        const institution = await institutionFor(req, query.institutionId);
        const ids = [...new Set((await directory.placementsAt(institution._id, today)).map((p) => p.childId))];
        children = (await Promise.all(ids.map((id) => directory.person(id)))).filter((p): p is KnownPerson => !!p).map((person) => ({ person, inDaycare: DAYCARE.has(institution.institutionType ?? '') }));
      } else {
        if (!(principal.kind === 'staff' && principal.roles.some((r) => MUNICIPALITY_WIDE.includes(r.role)))) throw forbidden(`the municipality-wide list needs one of the roles ${MUNICIPALITY_WIDE.join(', ')}`, 'ROLE_REQUIRED');
        const all = await directory.childrenOf(principal.municipalityId);
        children = [];
        for (const person of all) {
          const placed = await directory.placementsOn(person._id, today);
          if (!placed.some((p) => DAYCARE.has(p.institutionType ?? '') || p.institutionType === undefined)) children.push({ person, inDaycare: false });
        }
      }
      const withAge = children.filter((c) => c.person.birthYear !== undefined && c.person.birthMonth !== undefined).map((c) => ({ ...c, birthYear: c.person.birthYear!, birthMonth: c.person.birthMonth!, ageMonths: ageInMonths(c.person.birthYear!, c.person.birthMonth!, today) }));
      const done = await completedOn(withAge.map((c) => c.person._id), 'sprogvurdering');
      const presumed = new Set((await findEach(presumptions, '_id', withAge.map((c) => c.person._id), { presumedNeed: true })).filter(presumedHere).map((p) => p._id));
      const items = withAge
        .map((c) => ({ childId: c.person._id, ageMonths: c.ageMonths, inDaycare: c.inDaycare, duty: languageDuty({ birthYear: c.birthYear, birthMonth: c.birthMonth, inDaycare: c.inDaycare, presumedNeed: presumed.has(c.person._id) }, today, (done.get(c.person._id) ?? []).map((d) => d.ageMonths ?? -1)) }))
        .filter((c) => c.duty !== null);
      await audit.record(principal, { action: 'read', recordType: 'language-duties', recordId: query.institutionId ?? null });
      await auditEachChild(req, items, { recordType: 'language-duty', recordId: null, ...(query.institutionId ? { institutionId: query.institutionId } : {}), purpose: 'language-duties' });
      res.json({ on: today, items });
    }),
  );
}
