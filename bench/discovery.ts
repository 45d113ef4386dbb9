import { execFileSync } from 'node:child_process';
import { DEFAULT_ENDPOINT_OPTIONS, Endpoint, type ScanResult } from '../nodes/engine/endpoint';
import { DH_PROBE } from '../nodes/wire/dh';
import { EmulatorProcess } from './lib/emulator-process';
import { readSysctl, socketDrops } from './lib/kernel';
import { type BenchOptions, type BenchResult, type Row, bytes, ms, ratio, size, verdict } from './lib/report';
import { bindSocket, closeSocket, median, now, sleep } from './lib/util';

const RMEM_MAX = '/proc/sys/net/core/rmem_max';

/** What the kernel actually gives a socket that asks for `bytes` of SO_RCVBUF (Linux doubles it). */
async function effectiveReceiveBuffer(bytes: number): Promise<number> {
  const socket = await bindSocket('127.0.0.1');
  try {
    socket.setRecvBufferSize(bytes);
    return socket.getRecvBufferSize();
  } finally {
    await closeSocket(socket);
  }
}

function setSysctl(name: string, value: number): boolean {
  try {
    execFileSync('sysctl', ['-q', '-w', `${name}=${value}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface BareScan {
  readonly datagrams: number;
  readonly cameras: number;
  readonly lastReplyMs: number;
  readonly drops: number;
}

/** The baseline: a bare dgram socket with the same SO_RCVBUF sends the probe and only counts replies. */
async function bareScan(dhPort: number, windowMs: number, receiveBufferBytes: number): Promise<BareScan> {
  const socket = await bindSocket('0.0.0.0');
  socket.setBroadcast(true);
  socket.setRecvBufferSize(receiveBufferBytes);
  const sources = new Set<string>();
  let datagrams = 0;
  let last = 0;
  const t0 = now();
  socket.on('message', (_data, from) => {
    datagrams++;
    sources.add(from.address);
    last = now();
  });
  socket.send(DH_PROBE, dhPort, '127.255.255.255');
  await sleep(windowMs);
  const drops = (await socketDrops(socket.address().port)).atPort;
  await closeSocket(socket);
  return { datagrams, cameras: sources.size, lastReplyMs: last - t0, drops };
}

/**
 * 3. Discovery burst: one DH probe to 127.255.255.255 answered by N emulated cameras in another
 * process at once (each sends its reply unicast and a broadcast copy: 2N datagrams of 524 bytes).
 * Baseline: a bare dgram socket with the same receive buffer, counting the same burst.
 */
export async function discovery(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const cameras = size(options, 'cameras', 1000, 100);
  const rounds = size(options, 'rounds', 5, 2);
  const windowMs = size(options, 'windowMs', 1000, 500);
  const requested = DEFAULT_ENDPOINT_OPTIONS.receiveBufferBytes;
  const notes: string[] = [];

  // The kernel caps SO_RCVBUF at net.core.rmem_max: raise it for this benchmark only if it is lower.
  const rmemBefore = readSysctl(RMEM_MAX);
  let raised = false;
  if (rmemBefore !== undefined && rmemBefore < requested) raised = setSysctl('net.core.rmem_max', requested);
  const emulator = await EmulatorProcess.spawn({ count: cameras, first: '127.2.0.1', quiet: true });
  try {
    const effective = await effectiveReceiveBuffer(requested);
    const engine: { parsed: number; lastMs: number; completeMs: number; drops: number }[] = [];
    const bare: BareScan[] = [];
    let dhIn = 0;
    let dhBad = 0;
    for (let round = 0; round < rounds; round++) {
      bare.push(await bareScan(emulator.ready.dhPort, windowMs, requested));
      await sleep(100);
      // A fresh endpoint per scan, so every camera is `discovered` (and timed) again.
      const endpoint = new Endpoint({
        bind: '0.0.0.0',
        targets: ['127.255.255.255'],
        dhPort: emulator.ready.dhPort,
        searchPort: emulator.ready.searchPort,
        receiveBufferBytes: requested,
      });
      await endpoint.ready();
      const dhLocal = endpoint.localPorts.dh ?? -1;
      let last = 0;
      endpoint.on('discovered', () => {
        last = now();
      });
      const t0 = now();
      const result: ScanResult = await endpoint.scan(windowMs);
      const completeMs = now() - t0;
      engine.push({
        parsed: result.cameras.length,
        lastMs: last > 0 ? last - t0 : NaN,
        completeMs,
        drops: (await socketDrops(dhLocal)).atPort,
      });
      dhIn += endpoint.stats.dhIn;
      dhBad += endpoint.stats.dhBad;
      await endpoint.close();
      await sleep(100);
    }

    const minParsed = Math.min(...engine.map((e) => e.parsed));
    const bareCameras = median(bare.map((b) => b.cameras));
    const lastMs = median(engine.map((e) => e.lastMs));
    const bareLast = median(bare.map((b) => b.lastReplyMs));
    const completeMs = median(engine.map((e) => e.completeMs));
    const bench = `discovery (${cameras} cameras)`;
    const rows: Row[] = [
      {
        bench,
        metric: `cameras parsed from one probe (worst of ${rounds} scans)`,
        value: `${minParsed} / ${cameras}`,
        baseline: `${bareCameras} (bare socket, median)`,
        ratio: ratio(minParsed, bareCameras),
        target: `all ${cameras}`,
        verdict: verdict(minParsed === cameras),
      },
      {
        bench,
        metric: 'probe -> last camera discovered (median)',
        value: ms(lastMs),
        baseline: `${ms(bareLast)} (bare: probe -> last reply)`,
        ratio: ratio(lastMs, bareLast),
        target: 'report',
        verdict: 'info',
      },
      {
        bench,
        metric: `probe -> scan-complete (window ${windowMs} ms, median)`,
        value: ms(completeMs),
        baseline: `${windowMs} ms (the window)`,
        ratio: ratio(completeMs, windowMs),
        target: 'report',
        verdict: 'info',
      },
      {
        bench,
        metric: 'datagrams dropped by the kernel at the DH socket (all scans)',
        value: String(engine.reduce((t, e) => t + e.drops, 0)),
        baseline: `${bare.reduce((t, b) => t + b.drops, 0)} (bare)`,
        ratio: 'n/a',
        target: '0',
        verdict: verdict(engine.every((e) => e.drops === 0)),
      },
    ];
    notes.push(
      `SO_RCVBUF: the endpoint asks for ${bytes(requested)} (receiveBufferBytes default); net.core.rmem_max was ` +
        `${rmemBefore === undefined ? 'unknown' : bytes(rmemBefore)}` +
        (raised ? `, raised to ${bytes(requested)} for this benchmark with sysctl -w and restored after` : '') +
        `; the kernel granted ${bytes(effective)} (Linux doubles the request for bookkeeping` +
        `${effective < 2 * requested ? ', capped by rmem_max' : ', not capped'}).`,
      `Each probe is answered by every camera with a unicast reply and a broadcast copy: ${2 * cameras} datagrams of ` +
        `524 bytes; bare socket received ${median(bare.map((b) => b.datagrams))} datagrams per probe (median). ` +
        `Endpoints counted ${dhIn} DH datagrams, ${dhBad} bad, over ${rounds} scans.`,
    );
    return { name: 'discovery', title: 'Discovery burst', rows, notes, seconds: (now() - started) / 1000 };
  } finally {
    await emulator.close();
    if (raised && rmemBefore !== undefined) setSysctl('net.core.rmem_max', rmemBefore);
  }
}
