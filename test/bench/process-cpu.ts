// CPU time spent by the processes a bench drives, read from /proc (Linux): the bench's own
// node process, the store (FerretDB, and PostgreSQL behind it, apart: which half of the store a
// request's cost lands in decides what could lower it) and the broker (Kafka's JVM). Dividing a
// phase's CPU by its requests shows where each request's cost goes, which throughput alone
// hides when every process shares the same cores.
import { readFileSync, readdirSync } from 'node:fs';

export type CpuGroups = Record<'node' | 'ferretdb' | 'postgres' | 'broker', number>;

export const NO_CPU: CpuGroups = { node: 0, ferretdb: 0, postgres: 0, broker: 0 };

// Matched against the program (argv[0]); a PostgreSQL backend renames itself 'postgres: ...'.
const GROUPS: [keyof CpuGroups, RegExp][] = [
  ['ferretdb', /(^|\/)ferretdb$/],
  ['postgres', /(^|\/)postgres(:|$)/],
  ['broker', /^java$|\/java$/],
];
const TICK_MS = 10; // USER_HZ is 100 on Linux

function cpuOf(pid: string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (fields 14 and 15 of stat; 12 and 13 after the name): this process's own.
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU milliseconds used so far per group; zeros where /proc is not there. */
export function cpuNow(): CpuGroups {
  const total: CpuGroups = { ...NO_CPU };
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return total;
  }
  for (const pid of pids) {
    try {
      if (pid === String(process.pid)) {
        total.node += cpuOf(pid);
        continue;
      }
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // The broker is the JVM running kafka.Kafka (other JVMs on the machine are not counted).
      const group = GROUPS.find(([name, pattern]) => pattern.test(argv[0]!) && (name !== 'broker' || argv.includes('kafka.Kafka')));
      if (group) total[group[0]] += cpuOf(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** CPU milliseconds per request per group between two readings; the store as a whole and its two halves. */
export function cpuPerRequest(before: CpuGroups, after: CpuGroups, requests: number): string {
  const per = (k: keyof CpuGroups) => (after[k] - before[k]) / requests;
  const store = per('ferretdb') + per('postgres');
  return `node ${per('node').toFixed(2)}, store ${store.toFixed(2)} (FerretDB ${per('ferretdb').toFixed(2)}, PostgreSQL ${per('postgres').toFixed(2)}), broker ${per('broker').toFixed(2)}`;
}
