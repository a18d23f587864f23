// When identity's retention clock starts for a person's entry (docs/data-protection.md). Pure
// rules; the sweep in libs/privacy adds the period and the legal holds.
//
// A child's entry is in use while the child holds a placement in the municipality. Its clock
// starts the day after the last placement ended. A child never placed (registered for the
// language assessment at 3, say, but never enrolled) is kept until the month it turns 7, past
// school start, the last point where the municipality's duties in Spor reach it. A clock never
// starts before the entry was registered, so a child registered late (an older child moving in,
// whose enrollment is still on its way) is not taken for one that left long ago.

/** Age at which a child never placed stops being one the municipality follows in Spor. */
export const NEVER_PLACED_UNTIL_AGE = 7;

export interface PlacementSpan {
  from: string;
  /** Last day, inclusive (YYYY-MM-DD); null while open. */
  to: string | null;
}

const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
const later = (a: Date, b: Date | undefined) => (b && b > a ? b : a);

export function childClockStart(child: { birthYear: number; birthMonth: number; registeredAt?: Date }, placements: PlacementSpan[]): Date | null {
  if (placements.some((p) => p.to === null)) return null;
  const lastDay = placements.map((p) => p.to!).sort().at(-1);
  const from = lastDay ? dayAfter(lastDay) : new Date(Date.UTC(child.birthYear + NEVER_PLACED_UNTIL_AGE, child.birthMonth - 1, 1));
  return later(from, child.registeredAt);
}

/**
 * A parent's entry is in use while it links a child. Its clock starts when the last child it
 * linked left the directory (`unlinkedAt`, set as that child's entry is disposed of). A parent
 * registered but never linked (an import whose guardianship failed, an entry made by hand and
 * left) counts from its registration: the link is registered right after the parent in practice,
 * and the period gives an administrator a month. An entry older than `registeredAt` that was never
 * linked counts from the day the sweep first found it so (`retentionSeenAt`): its registration
 * date is not known, and keeping it for ever is not an option.
 */
export function parentClockStart(parent: { unlinkedAt?: Date; registeredAt?: Date; retentionSeenAt?: Date }, linkedChildren: number): Date | null {
  if (linkedChildren > 0) return null;
  return parent.unlinkedAt ?? parent.registeredAt ?? parent.retentionSeenAt ?? null;
}
