// Who is calling: the claims of a Spor access token (issued by the identity service) as
// the services use them. Ids are pseudonymous; a token never carries a CPR number or a name.

export const STAFF_ROLES = [
  'educator',
  'leader',
  'internal-guide',
  'praksisvejleder',
  'advisory-team',
  'family-counsellor',
  'ppr-psychologist',
  'pedagogical-consultant',
  'district-council-member',
  'administration',
  'system-administrator',
  // The municipality's data-protection officer (databeskyttelsesrådgiver, GDPR art. 37-39):
  // answers data-subject access requests with the export of everything about one child. None of
  // the roles above fits: administration and system administrators must not see every child.
  'dpo',
] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** NSIS assurance levels as the MitID broker states them in `acr`, lowest first. */
export const NSIS_LEVELS = {
  low: 'https://data.gov.dk/concept/core/nsis/loa/Low',
  substantial: 'https://data.gov.dk/concept/core/nsis/loa/Substantial',
  high: 'https://data.gov.dk/concept/core/nsis/loa/High',
} as const;
export type NsisLevel = keyof typeof NSIS_LEVELS;

export interface RoleGrant {
  role: StaffRole;
  /** The organisation unit (municipality, district, institution or group id) the role holds in. */
  unitId: string;
}

export interface Principal {
  /** The person's pseudonymous id, or a service's client id. */
  subject: string;
  kind: 'staff' | 'parent' | 'service';
  /** The three-digit kommunekode; empty for a service, which holds scopes instead. */
  municipalityId: string;
  roles: RoleGrant[];
  /** For parents: the children in their custody when the token was issued. */
  children: string[];
  nsisLevel?: NsisLevel;
  /** For services (client-credentials tokens): the scopes granted, for example `consent:read`. */
  scopes: string[];
  tokenId?: string;
  expiresAt: Date;
}

/** The claims Spor access tokens carry beside the registered ones (iss, sub, aud, exp, iat, jti). */
export interface SporTokenClaims {
  kind: Principal['kind'];
  mun: string;
  roles?: { role: string; unit: string }[];
  children?: string[];
  acr?: string;
  /** Space-separated scopes of a service token. */
  scope?: string;
}

export function hasRole(principal: Principal, role: StaffRole, unitId?: string): boolean {
  return principal.roles.some((r) => r.role === role && (unitId === undefined || r.unitId === unitId));
}

export function nsisLevelAtLeast(actual: NsisLevel | undefined, required: NsisLevel): boolean {
  const order: NsisLevel[] = ['low', 'substantial', 'high'];
  return actual !== undefined && order.indexOf(actual) >= order.indexOf(required);
}

/**
 * The staff member who sent an import, as the audit trail names them when the job is applied
 * after their request (a resumed attempt, a background job): who, where and with which roles,
 * holding no token.
 */
export function importerPrincipal(job: { actor: string; municipalityId: string }, roles: RoleGrant[]): Principal {
  return { subject: job.actor, kind: 'staff', municipalityId: job.municipalityId, roles, children: [], scopes: [], expiresAt: new Date(0) };
}
