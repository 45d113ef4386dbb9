import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColdDatagram, type ColdRun } from './lib/cold-child';
import { EmulatorProcess, ROOT } from './lib/emulator-process';
import { type BenchOptions, type BenchResult, type Row, fmt, ms, ratio, size, verdict } from './lib/report';
import { median, now } from './lib/util';

/**
 * 1c. The first handshake after a deploy (issue 14): each run is a fresh Node process
 * (bench/lib/cold-child.ts) that binds, scans, and at the `discovered` event creates a link by
 * UID and connects, as a flow does after every deploy. Times run from the scan's start. Baseline:
 * a bare dgram client doing the same steps in its own fresh process, runs interleaved one-for-one
 * (in alternating order) against the same emulated camera in a long-lived process.
 */
const DH_HEAD = 0x4448;
const PLAIN_PUNCH = 0xf141;
const PLAIN_READY = 0xf142;

interface Gaps {
  /** DH reply in -> first LAN_SEARCH out. */
  readonly replyToSearch: number;
  /** First LAN_SEARCH out -> PUNCH in (the camera's and the loopback's share). */
  readonly searchToPunch: number;
  /** PUNCH in -> its echo out. */
  readonly punchToEcho: number;
  /** Echo out -> P2P_RDY in. */
  readonly echoToReady: number;
  /** P2P_RDY in -> `connected` seen by the caller. */
  readonly readyToConnected: number;
  /** Datagrams sent from the scan's start to `connected`, and those of them to the search port. */
  readonly sent: number;
  readonly searches: number;
}

function gaps(run: ColdRun, dhPort: number, searchPort: number): Gaps {
  const first = (match: (d: ColdDatagram) => boolean, after = -Infinity): number =>
    run.datagrams.find((d) => d.t >= after && match(d))?.t ?? NaN;
  const reply = first((d) => d.dir === 'in' && d.port === dhPort && d.head === DH_HEAD);
  const search = first((d) => d.dir === 'out' && d.port === searchPort, reply);
  const punch = first((d) => d.dir === 'in' && d.head === PLAIN_PUNCH, search);
  const echo = first((d) => d.dir === 'out' && d.head === PLAIN_PUNCH, punch);
  const ready = first((d) => d.dir === 'in' && d.head === PLAIN_READY, echo);
  const upTo = run.datagrams.filter((d) => d.dir === 'out' && d.t <= run.connectedMs);
  return {
    replyToSearch: search - reply,
    searchToPunch: punch - search,
    punchToEcho: echo - punch,
    echoToReady: ready - echo,
    readyToConnected: run.connectedMs - ready,
    sent: upTo.length,
    searches: upTo.filter((d) => d.port === searchPort).length,
  };
}

function runChild(kind: 'engine' | 'bare', dhPort: number, searchPort: number, profileDir?: string): Promise<ColdRun> {
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-interval', '25', '--cpu-prof-dir', profileDir] : [];
  const args = [
    ...profile,
    '--import',
    'tsx',
    join(ROOT, 'bench', 'lib', 'cold-child.ts'),
    kind,
    '--dh-port',
    String(dhPort),
    '--search-port',
    String(searchPort),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`cold ${kind} run exited with ${code ?? 'a signal'}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as ColdRun);
      } catch {
        reject(new Error(`cold ${kind} run printed no result: ${out.slice(0, 200)}`));
      }
    });
  });
}

export async function cold(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const runs = size(options, 'runs', 20, 4);
  const profileDir = options.params?.profile ? join(tmpdir(), `cold-prof-${process.pid}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const emulator = await EmulatorProcess.spawn({ count: 1, first: '127.1.0.1' });
  const { dhPort, searchPort } = emulator.ready;
  const engine: ColdRun[] = [];
  const bare: ColdRun[] = [];
  try {
    // One discarded pair: the emulator's first handshake and the disk cache are not what is measured.
    for (let i = -1; i < runs; i++) {
      const order = i % 2 === 0 ? (['engine', 'bare'] as const) : (['bare', 'engine'] as const);
      for (const kind of order) {
        const run = await runChild(kind, dhPort, searchPort, kind === 'engine' ? profileDir : undefined);
        if (i >= 0) (kind === 'engine' ? engine : bare).push(run);
      }
    }
  } finally {
    await emulator.close();
  }
  // bench/lib/cold-profile.mjs reads these to cut each profile to the scan -> connected window.
  if (profileDir) writeFileSync(join(profileDir, 'runs.json'), JSON.stringify(engine));

  const engineGaps = engine.map((r) => gaps(r, dhPort, searchPort));
  const bareGaps = bare.map((r) => gaps(r, dhPort, searchPort));
  const med = (list: readonly Gaps[], key: keyof Gaps): number => median(list.map((g) => g[key]));
  const connected = median(engine.map((r) => r.connectedMs));
  const bareConnected = median(bare.map((r) => r.connectedMs));
  const discovered = median(engine.map((r) => r.discoveredMs));
  const bareDiscovered = median(bare.map((r) => r.discoveredMs));
  const bench = 'cold start';
  const gapRow = (metric: string, key: keyof Gaps): Row => ({
    bench,
    metric,
    value: ms(med(engineGaps, key)),
    baseline: ms(med(bareGaps, key)),
    ratio: ratio(med(engineGaps, key), med(bareGaps, key)),
    target: 'report',
    verdict: 'info',
  });
  const rows: Row[] = [
    {
      bench,
      metric: `median scan start -> 'connected', link created at 'discovered' (${engine.length} fresh processes)`,
      value: ms(connected),
      baseline: `${ms(bareConnected)} (bare dgram client, fresh process)`,
      ratio: ratio(connected, bareConnected),
      target: '<= 1.2x',
      verdict: verdict(connected <= 1.2 * bareConnected),
    },
    {
      bench,
      metric: "median scan start -> first 'discovered'",
      value: ms(discovered),
      baseline: ms(bareDiscovered),
      ratio: ratio(discovered, bareDiscovered),
      target: 'report',
      verdict: 'info',
    },
    gapRow('median DH reply in -> LAN_SEARCH out', 'replyToSearch'),
    gapRow('median LAN_SEARCH out -> PUNCH in', 'searchToPunch'),
    gapRow('median PUNCH in -> echo out', 'punchToEcho'),
    gapRow('median echo out -> P2P_RDY in', 'echoToReady'),
    gapRow("median P2P_RDY in -> 'connected'", 'readyToConnected'),
    {
      bench,
      metric: 'datagrams sent per handshake, scan start -> connected (of them LAN_SEARCH)',
      value: `${fmt(med(engineGaps, 'sent'), 0)} (${fmt(med(engineGaps, 'searches'), 0)})`,
      baseline: `${fmt(med(bareGaps, 'sent'), 0)} (${fmt(med(bareGaps, 'searches'), 0)})`,
      ratio: ratio(med(engineGaps, 'sent'), med(bareGaps, 'sent')),
      target: 'report',
      verdict: 'info',
    },
  ];
  const worst = Math.max(...engine.map((r) => r.connectedMs));
  const bareWorst = Math.max(...bare.map((r) => r.connectedMs));
  return {
    name: 'cold',
    title: 'First handshake in a fresh process',
    rows,
    notes: [
      `${runs} runs of each after one discarded pair, engine and bare alternating which goes first; each run a new ` +
        `\`node --import tsx\` process (modules loaded and sockets bound before the clock starts). Worst: engine ` +
        `${ms(worst)}, bare ${ms(bareWorst)}. Datagram times from wrappers on dgram's send and 'message' in both clients.`,
      ...(profileDir ? [`CPU profiles of the engine runs in ${profileDir}`] : []),
    ],
    seconds: (now() - started) / 1000,
  };
}
