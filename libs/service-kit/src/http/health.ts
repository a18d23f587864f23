// Liveness says the process runs; readiness says it can do its work now (its database and
// Kafka answer) and turns false while the service drains on shutdown.

export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency is usable; rejects or times out when not. */
  check: () => Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { status: 'up' | 'down'; error?: string }>;
}

export async function runReadiness(checks: ReadinessCheck[], timeoutMs = 2_000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { status: 'up' as const }] as const;
      } catch (error) {
        return [name, { status: 'down' as const, error: (error as Error).message }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: entries.every(([, v]) => v.status === 'up'), checks: Object.fromEntries(entries) };
}
