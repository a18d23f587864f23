// Consent purposes: what a parent is asked to agree to, in the words they read (Danish), on
// which legal basis, for how long, and whether every custody holder must agree. A published
// version never changes; new wording is a new version, and each grant records the version the
// parent saw. The built-in purposes are version 1 of the ones DOMAIN.md's rules need.

export const SCOPE_FIELDS = ['receivingUnitId', 'assessmentId', 'professionalId'] as const;
export type ScopeField = (typeof SCOPE_FIELDS)[number];
export type Scope = Partial<Record<ScopeField, string>>;

export interface PurposeVersion {
  purposeId: string;
  version: number;
  title: string;
  /** The text the parent reads before granting. */
  text: string;
  legalBasis: string;
  /** How long a grant lasts from the moment it is given. */
  validityDays: number;
  requiresAllCustodyHolders: boolean;
  /** What a request for this purpose must name, for example the receiving institution. */
  scope: ScopeField[];
  /** The rule of DOMAIN.md the purpose serves. */
  rule: string;
}

export const BUILT_IN_PURPOSES: PurposeVersion[] = [
  {
    purposeId: 'transition-transfer',
    version: 1,
    title: 'Overlevering af viden ved overgang',
    text: 'Jeg giver samtykke til, at viden om mit barns trivsel, udvikling og læring, herunder handleplaner og vurderinger, overleveres til den modtagende institution, som er nævnt i anmodningen.',
    legalBasis: 'Samtykke efter databeskyttelsesforordningens art. 6, stk. 1, litra a, og art. 9, stk. 2, litra a; dagtilbudslovens § 3 a',
    validityDays: 180,
    requiresAllCustodyHolders: true,
    scope: ['receivingUnitId'],
    rule: 'R15',
  },
  {
    purposeId: 'resource-assessment',
    version: 1,
    title: 'Ressourcevurdering med CPR-nummer i distriktsrådet',
    text: 'Jeg giver samtykke til, at mit barns sag med handleplan, indsatser og evalueringer forelægges distriktsrådet med mit barns CPR-nummer til vurdering af støtte.',
    legalBasis: 'Samtykke efter databeskyttelsesforordningens art. 6, stk. 1, litra a, og art. 9, stk. 2, litra a',
    validityDays: 180,
    requiresAllCustodyHolders: true,
    scope: [],
    rule: 'R7',
  },
  {
    purposeId: 'network-meeting',
    version: 1,
    title: 'Netværksmøde med eksterne fagpersoner',
    text: 'Jeg giver samtykke til, at mit barns trivsel og udvikling drøftes på et netværksmøde med eksterne fagpersoner.',
    legalBasis: 'Samtykke efter databeskyttelsesforordningens art. 6, stk. 1, litra a, og art. 9, stk. 2, litra a',
    validityDays: 90,
    requiresAllCustodyHolders: true,
    scope: [],
    rule: 'R11',
  },
  {
    purposeId: 'referral-ppv',
    version: 1,
    title: 'Henvisning til pædagogisk-psykologisk vurdering (PPV)',
    text: 'Jeg er indforstået med, at mit barn henvises til en pædagogisk-psykologisk vurdering hos PPR.',
    legalBasis: 'Forældrenes samtykke, givet på netværks- eller forældremøde',
    validityDays: 180,
    requiresAllCustodyHolders: true,
    scope: [],
    rule: 'R12',
  },
  {
    purposeId: 'referral-viso',
    version: 1,
    title: 'Henvisning til VISO',
    text: 'Jeg er indforstået med, at mit barns sag forelægges VISO (Den Nationale Videns- og Specialrådgivningsorganisation).',
    legalBasis: 'Forældrenes samtykke, givet på netværks- eller forældremøde',
    validityDays: 180,
    requiresAllCustodyHolders: true,
    scope: [],
    rule: 'R12',
  },
  {
    purposeId: 'share-assessment',
    version: 1,
    title: 'Deling af en vurdering med en ekstern fagperson',
    text: 'Jeg giver samtykke til, at den nævnte vurdering af mit barn deles med den nævnte eksterne fagperson.',
    legalBasis: 'Samtykke efter databeskyttelsesforordningens art. 6, stk. 1, litra a, og art. 9, stk. 2, litra a',
    validityDays: 90,
    requiresAllCustodyHolders: true,
    scope: ['assessmentId', 'professionalId'],
    rule: 'R15',
  },
];

export interface ScopeProblem {
  field: string;
  message: string;
}

/** What is wrong with a request's scope for this purpose: every field it needs, none it does not. */
export function scopeProblems(purpose: PurposeVersion, scope: Scope): ScopeProblem[] {
  const problems: ScopeProblem[] = [];
  for (const field of purpose.scope) if (!scope[field]) problems.push({ field: `scope.${field}`, message: `the purpose ${purpose.purposeId} needs ${field}` });
  for (const field of Object.keys(scope) as ScopeField[]) {
    if (!purpose.scope.includes(field)) problems.push({ field: `scope.${field}`, message: `the purpose ${purpose.purposeId} takes no ${field}` });
  }
  return problems;
}
