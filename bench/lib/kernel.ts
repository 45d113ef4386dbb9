import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Kernel UDP counters of this network namespace, read from /proc (Linux only; zeros elsewhere). */
export interface UdpCounters {
  readonly inDatagrams: number;
  readonly rcvbufErrors: number;
  readonly sndbufErrors: number;
  readonly inErrors: number;
}

export function udpCounters(): UdpCounters {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = (lines[0] ?? '').split(/\s+/).slice(1);
    const values = (lines[1] ?? '').split(/\s+/).slice(1).map(Number);
    const get = (name: string): number => values[names.indexOf(name)] ?? 0;
    return {
      inDatagrams: get('InDatagrams'),
      rcvbufErrors: get('RcvbufErrors'),
      sndbufErrors: get('SndbufErrors'),
      inErrors: get('InErrors'),
    };
  } catch {
    return { inDatagrams: 0, rcvbufErrors: 0, sndbufErrors: 0, inErrors: 0 };
  }
}

/**
 * Datagrams the kernel dropped at sockets bound to `port` (any address) versus everywhere else.
 * Asynchronous on purpose: with 30,000 sockets /proc/net/udp takes long enough to read that a
 * synchronous read stalls the event loop and itself overflows the receive buffer it checks.
 */
export async function socketDrops(port: number): Promise<{ atPort: number; elsewhere: number }> {
  let atPort = 0;
  let elsewhere = 0;
  for (const [local, drops] of await droppingSockets()) {
    if (parseInt(local.split(':')[1] ?? '', 16) === port) atPort += drops;
    else elsewhere += drops;
  }
  return { atPort, elsewhere };
}

export function readSysctl(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Every UDP socket of this namespace that dropped datagrams: `address:port` (hex, as in /proc) -> drops. */
export async function droppingSockets(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    for (const row of (await readFile('/proc/net/udp', 'utf8')).split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      const drops = Number(cols[12] ?? 0);
      if (cols[1] && drops > 0) out.set(cols[1], drops);
    }
  } catch {
    // not Linux
  }
  return out;
}
