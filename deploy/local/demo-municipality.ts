// FOR DEVELOPMENT ONLY. The demo municipality `npm start` seeds and the end-to-end journey test
// walks through: three districts, daycare institutions and a school with groups, staff in every
// role, children with one or two custody holders, placements, district council meetings and a
// round of well-being ratings. Every person is invented; the CPR numbers are made up (valid in
// form only) and the same on every start, so a second seed finds what the first one made.

export type DemoLogin = 'staff' | 'citizen';

export interface DemoUnit {
  externalId: string;
  kind: 'district' | 'institution' | 'group';
  name: string;
  parentExternalId: string;
  institutionType?: 'dagpleje' | 'vuggestue' | 'boernehave' | 'skole' | 'sfo';
}

export interface DemoStaff {
  key: string;
  givenName: string;
  familyName: string;
  email: string;
  cpr: string;
  role: string;
  unitExternalId: string;
}

export interface DemoChild {
  key: string;
  givenName: string;
  familyName: string;
  cpr: string;
  institutionExternalId: string;
  groupExternalId: string;
  /** The parents with custody (one or two), by key. */
  parents: string[];
  /** The team's well-being rating the seed records for the child (none: not rated yet). */
  wellbeing?: 'green' | 'yellow' | 'red';
}

export interface DemoParent {
  key: string;
  givenName: string;
  familyName: string;
  cpr: string;
}

export interface DemoMunicipality {
  code: string;
  name: string;
  rootExternalId: string;
  units: DemoUnit[];
  staff: DemoStaff[];
  parents: DemoParent[];
  children: DemoChild[];
  /** District council meetings, days from the day of the seed, for every district. */
  councilMeetingsInDays: number[];
  /** The day every placement began. */
  placedFrom: string;
}

/**
 * A made-up CPR number for the n-th person of a kind: DDMMYY, then a serial whose first digit
 * places the year in its century (1: 1900s; 4 with a year up to 36: 2000s). One person is one
 * CPR number in identity, so each municipality code draws its own numbers.
 */
const cpr = (n: number, yy: number, centuryDigit: number) => `${String(1 + (n % 28)).padStart(2, '0')}${String(1 + (n % 12)).padStart(2, '0')}${String(yy).padStart(2, '0')}${centuryDigit}${String(n % 1000).padStart(3, '0')}`;

export function demoMunicipality(code: string): DemoMunicipality {
  const ext = (id: string) => `DEMO-${id}`;
  const root = ext('KOMMUNE');
  const units: DemoUnit[] = [];
  const district = (id: string, name: string) => units.push({ externalId: ext(id), kind: 'district', name, parentExternalId: root });
  const institution = (id: string, name: string, districtId: string, institutionType: DemoUnit['institutionType']) =>
    units.push({ externalId: ext(id), kind: 'institution', name, parentExternalId: ext(districtId), institutionType });
  const group = (id: string, name: string, institutionId: string) => units.push({ externalId: ext(id), kind: 'group', name, parentExternalId: ext(institutionId) });
  district('NORD', 'Distrikt Nord');
  district('VEST', 'Distrikt Vest');
  district('SYD', 'Distrikt Syd');
  institution('SOLSIKKEN', 'Børnehuset Solsikken', 'NORD', 'boernehave');
  group('SOLSIKKEN-BJOERNE', 'Bjørnene', 'SOLSIKKEN');
  group('SOLSIKKEN-RAEVE', 'Ræveungerne', 'SOLSIKKEN');
  institution('MARIEHOENEN', 'Vuggestuen Mariehønen', 'NORD', 'vuggestue');
  group('MARIEHOENEN-MYRER', 'Myrerne', 'MARIEHOENEN');
  institution('NORDSKOLEN', 'Nordskolen', 'NORD', 'skole');
  group('NORDSKOLEN-0A', '0.A', 'NORDSKOLEN');
  group('NORDSKOLEN-0B', '0.B', 'NORDSKOLEN');
  institution('REGNBUEN', 'Børnehaven Regnbuen', 'VEST', 'boernehave');
  group('REGNBUEN-FROEER', 'Frøerne', 'REGNBUEN');
  institution('DAGPLEJEN-VEST', 'Dagplejen Vest', 'VEST', 'dagpleje');
  group('DAGPLEJEN-VEST-1', 'Dagplejer Birte', 'DAGPLEJEN-VEST');
  institution('SKOVBRYNET', 'Børnehaven Skovbrynet', 'SYD', 'boernehave');
  group('SKOVBRYNET-EGERN', 'Egernene', 'SKOVBRYNET');

  // Numbers 37 apart per code: the demo draws fewer than 37 of each kind.
  const first = (Number(code) * 37) % 1000;
  let staffSerial = first;
  const staff: DemoStaff[] = [];
  const person = (key: string, givenName: string, familyName: string, role: string, unit: string) =>
    staff.push({ key, givenName, familyName, email: `${key}@k${code}.demo.spor.dk`, cpr: cpr(staffSerial++, 80, 1), role, unitExternalId: unit === 'KOMMUNE' ? root : ext(unit) });
  // Børnehuset Solsikken: the team of the journey.
  person('lise.paedagog', 'Lise', 'Pedersen', 'educator', 'SOLSIKKEN-BJOERNE');
  person('mads.paedagog', 'Mads', 'Jensen', 'educator', 'SOLSIKKEN-BJOERNE');
  person('sara.paedagog', 'Sara', 'Holm', 'educator', 'SOLSIKKEN-RAEVE');
  person('hanne.leder', 'Hanne', 'Nielsen', 'leader', 'SOLSIKKEN');
  person('ole.vejleder', 'Ole', 'Madsen', 'internal-guide', 'SOLSIKKEN');
  person('pia.praksisvejleder', 'Pia', 'Andersen', 'praksisvejleder', 'NORD');
  person('anders.raadgivende', 'Anders', 'Kristensen', 'advisory-team', 'NORD');
  person('fatima.familieraadgiver', 'Fatima', 'Hassan', 'family-counsellor', 'KOMMUNE');
  person('peter.ppr', 'Peter', 'Larsen', 'ppr-psychologist', 'KOMMUNE');
  person('karen.konsulent', 'Karen', 'Sørensen', 'pedagogical-consultant', 'KOMMUNE');
  person('bent.distriktsraad', 'Bent', 'Rasmussen', 'district-council-member', 'NORD');
  person('anne.forvaltning', 'Anne', 'Christensen', 'administration', 'KOMMUNE');
  person('sys.admin', 'Sys', 'Admin', 'system-administrator', 'KOMMUNE');
  // The other institutions.
  person('mette.paedagog', 'Mette', 'Olsen', 'educator', 'MARIEHOENEN-MYRER');
  person('jens.leder', 'Jens', 'Poulsen', 'leader', 'MARIEHOENEN');
  person('jonas.laerer', 'Jonas', 'Thomsen', 'educator', 'NORDSKOLEN-0A');
  person('birgitte.skoleleder', 'Birgitte', 'Møller', 'leader', 'NORDSKOLEN');
  person('camilla.paedagog', 'Camilla', 'Berg', 'educator', 'REGNBUEN-FROEER');
  person('torben.leder', 'Torben', 'Lund', 'leader', 'REGNBUEN');
  person('birte.dagplejer', 'Birte', 'Friis', 'educator', 'DAGPLEJEN-VEST-1');
  person('susanne.leder', 'Susanne', 'Dahl', 'leader', 'SKOVBRYNET');
  person('kim.paedagog', 'Kim', 'Bach', 'educator', 'SKOVBRYNET-EGERN');

  const parents: DemoParent[] = [];
  const children: DemoChild[] = [];
  let parentSerial = first;
  let childSerial = first;
  const parent = (key: string, givenName: string, familyName: string) => {
    parents.push({ key, givenName, familyName, cpr: cpr(parentSerial++, 88, 1) });
    return key;
  };
  const child = (key: string, givenName: string, familyName: string, bornYy: number, institution: string, groupId: string, parentKeys: string[], wellbeing?: DemoChild['wellbeing']) =>
    children.push({ key, givenName, familyName, cpr: cpr(childSerial++, bornYy, 4), institutionExternalId: ext(institution), groupExternalId: ext(groupId), parents: parentKeys, ...(wellbeing ? { wellbeing } : {}) });

  // Emma is the child of the journey (README walk-through and test/e2e): two custody holders, not rated yet.
  child('emma', 'Emma', 'Holm', 21, 'SOLSIKKEN', 'SOLSIKKEN-BJOERNE', [parent('maria.holm', 'Maria', 'Holm'), parent('thomas.holm', 'Thomas', 'Holm')]);
  // Her group and institution: a round of team ratings, enough children for figures to show.
  const solsikken: [string, string, string, DemoChild['wellbeing']][] = [
    ['noah', 'Noah', 'Berg', 'green'], ['ida', 'Ida', 'Vestergaard', 'green'], ['oscar', 'Oscar', 'Lind', 'green'], ['freja', 'Freja', 'Mikkelsen', 'green'],
    ['william', 'William', 'Skov', 'green'], ['alma', 'Alma', 'Bonde', 'green'], ['karl', 'Karl', 'Winther', 'yellow'],
  ];
  solsikken.forEach(([key, given, family, light], i) => {
    const guardians = i % 2 === 0 ? [parent(`${key}.mor`, 'Mor til ' + given, family), parent(`${key}.far`, 'Far til ' + given, family)] : [parent(`${key}.foraelder`, 'Forælder til ' + given, family)];
    child(key, given, family, 21, 'SOLSIKKEN', i < 4 ? 'SOLSIKKEN-BJOERNE' : 'SOLSIKKEN-RAEVE', guardians, light);
  });
  const elsewhere: [string, string, string, number, string, string][] = [
    ['liam', 'Liam', 'Bak', 24, 'MARIEHOENEN', 'MARIEHOENEN-MYRER'],
    ['ella', 'Ella', 'Krogh', 24, 'MARIEHOENEN', 'MARIEHOENEN-MYRER'],
    ['victor', 'Victor', 'Dam', 20, 'NORDSKOLEN', 'NORDSKOLEN-0A'],
    ['sofia', 'Sofia', 'Juhl', 20, 'NORDSKOLEN', 'NORDSKOLEN-0A'],
    ['aksel', 'Aksel', 'Brandt', 20, 'NORDSKOLEN', 'NORDSKOLEN-0B'],
    ['clara', 'Clara', 'Nørgaard', 22, 'REGNBUEN', 'REGNBUEN-FROEER'],
    ['lucas', 'Lucas', 'Hviid', 22, 'REGNBUEN', 'REGNBUEN-FROEER'],
    ['agnes', 'Agnes', 'Storm', 25, 'DAGPLEJEN-VEST', 'DAGPLEJEN-VEST-1'],
    ['malthe', 'Malthe', 'Eriksen', 21, 'SKOVBRYNET', 'SKOVBRYNET-EGERN'],
    ['asta', 'Asta', 'Kjær', 21, 'SKOVBRYNET', 'SKOVBRYNET-EGERN'],
  ];
  elsewhere.forEach(([key, given, family, yy, institution, groupId], i) => {
    const guardians = i % 3 === 0 ? [parent(`${key}.foraelder`, 'Forælder til ' + given, family)] : [parent(`${key}.mor`, 'Mor til ' + given, family), parent(`${key}.far`, 'Far til ' + given, family)];
    child(key, given, family, yy, institution, groupId, guardians);
  });

  return { code, name: `Demokommunen ${code} (development only)`, rootExternalId: root, units, staff, parents, children, councilMeetingsInDays: [12, 40, 68], placedFrom: '2025-08-01' };
}

/** The directory as identity's import file, with the municipality's root referred to by its external id. */
export function directoryImport(demo: DemoMunicipality) {
  return {
    units: demo.units.map((u) => ({ externalId: u.externalId, kind: u.kind, name: u.name, parentExternalId: u.parentExternalId, ...(u.institutionType ? { institutionType: u.institutionType } : {}) })),
    persons: [
      ...demo.staff.map((s) => ({ kind: 'staff' as const, cpr: s.cpr, givenName: s.givenName, familyName: s.familyName, externalId: s.email })),
      ...demo.parents.map((p) => ({ kind: 'parent' as const, cpr: p.cpr, givenName: p.givenName, familyName: p.familyName })),
      ...demo.children.map((c) => ({ kind: 'child' as const, cpr: c.cpr, givenName: c.givenName, familyName: c.familyName })),
    ],
    memberships: demo.staff.map((s) => ({ cpr: s.cpr, unitExternalId: s.unitExternalId, role: s.role as never, from: '2020-01-01' })),
    guardianships: demo.children.flatMap((c) => c.parents.map((key) => ({ parentCpr: demo.parents.find((p) => p.key === key)!.cpr, childCpr: c.cpr, custody: true }))),
  };
}

/** The placements as transitions' enrollment import. */
export function enrollmentImport(demo: DemoMunicipality) {
  return { enrollments: demo.children.map((c) => ({ childCpr: c.cpr, institutionExternalId: c.institutionExternalId, groupExternalId: c.groupExternalId, from: demo.placedFrom })) };
}

/** The demo accounts: who each is, and what the development IdP puts in the ID token (staff: the e-mail; parents: the CPR number). */
export function demoLogins(demo: DemoMunicipality): { login: DemoLogin; label: string; account: { sub: string; email?: string; cpr?: string } }[] {
  const unitName = (externalId: string): string => {
    if (externalId === demo.rootExternalId) return demo.name.split(' (')[0]!;
    const unit = demo.units.find((u) => u.externalId === externalId)!;
    return unit.kind === 'group' ? `${unit.name}, ${unitName(unit.parentExternalId)}` : unit.name;
  };
  const childrenOf = (key: string) => demo.children.filter((c) => c.parents.includes(key)).map((c) => c.givenName);
  return [
    ...demo.staff.map((s) => ({ login: 'staff' as const, label: `${s.givenName} ${s.familyName}: ${s.role}, ${unitName(s.unitExternalId)}`, account: { sub: s.key, email: s.email } })),
    ...demo.parents.map((p) => ({ login: 'citizen' as const, label: `${p.givenName} ${p.familyName}: parent of ${childrenOf(p.key).join(', ')}`, account: { sub: p.key, cpr: p.cpr } })),
  ];
}
