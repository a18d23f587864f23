// CPU time spent by the processes a bench drives, read from /proc (Linux): the bench's own
// node process, the store (FerretDB and PostgreSQL) and the broker (Kafka's JVM). Dividing a
// phase's CPU by its requests shows where each request's cost goes, which throughput alone
// hides when every process shares the same cores.
import { readFileSync, readdirSync } from 'node:fs';

export type CpuGroups = Record<'node' | 'store' | 'broker', number>;

const GROUPS: [keyof CpuGroups, RegExp][] = [
  ['store', /ferretdb|postgres/],
  ['broker', /kafka\.Kafka/],
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
  const total: CpuGroups = { node: 0, store: 0, broker: 0 };
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
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const group = GROUPS.find(([, pattern]) => pattern.test(cmd));
      if (group) total[group[0]] += cpuOf(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** CPU milliseconds per request per group between two readings. */
export function cpuPerRequest(before: CpuGroups, after: CpuGroups, requests: number): string {
  return (Object.keys(before) as (keyof CpuGroups)[]).map((k) => `${k} ${((after[k] - before[k]) / requests).toFixed(2)}`).join(', ');
}
