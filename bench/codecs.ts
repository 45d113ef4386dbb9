import { fork } from 'node:child_process';
import { join } from 'node:path';
import { CODEC_CASES, SIZES } from './lib/codec-cases';
import { type BenchOptions, type BenchResult, type Row, fmt, ratio, size, verdict } from './lib/report';
import { now } from './lib/util';

interface Measured {
  readonly op: number;
  readonly baseline: number;
}

function measure(name: string, seconds: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'lib', 'codec-child.ts'), [name, String(seconds)], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: Measured | undefined;
    child.on('message', (message: Measured) => (result = message));
    child.on('error', reject);
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`codec child ${name} exited with ${code ?? 'a signal'}`)),
    );
  });
}

/**
 * 4. Codecs: rates of the pure wire functions, each beside a Buffer-copy baseline of the same
 * bytes per operation, both measured in the same fresh process, interleaved.
 */
export async function codecs(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const seconds = size(options, 'seconds', 3, 0.3);
  const results = new Map<string, Measured>();
  for (const c of CODEC_CASES) results.set(c.name, await measure(c.name, seconds));
  const get = (name: string): Measured => {
    const m = results.get(name);
    if (!m) throw new Error(`codec ${name} not measured`);
    return m;
  };
  const perSecond = (v: number): string => `${fmt(v)}/s`;
  const mbps = (opsPerSecond: number): number => (opsPerSecond * SIZES.cipher) / 1e6;
  const bench = 'codecs';
  const dh = get('dh');
  const alive = get('alive');
  const drw = get('drw');
  const header = get('header');
  const cipher = get('cipher');
  const rows: Row[] = [
    {
      bench,
      metric: `DH reply parses (parseDhReply, ${SIZES.dhReply} B)`,
      value: perSecond(dh.op),
      baseline: `${perSecond(dh.baseline)} (Buffer.from copy of the reply)`,
      ratio: ratio(dh.op, dh.baseline),
      target: '>= 1 M/s',
      verdict: verdict(dh.op >= 1e6),
    },
    {
      bench,
      metric: 'PPPP decodes, ALIVE (decodePppp, 4 B)',
      value: perSecond(alive.op),
      baseline: `${perSecond(alive.baseline)} (copy)`,
      ratio: ratio(alive.op, alive.baseline),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: `PPPP decodes, DRW (decodePppp, ${SIZES.drw} B)`,
      value: perSecond(drw.op),
      baseline: `${perSecond(drw.baseline)} (copy)`,
      ratio: ratio(drw.op, drw.baseline),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'PPPP header decodes (decodeHeader)',
      value: perSecond(header.op),
      baseline: `${perSecond(header.baseline)} (copy of the 4 header bytes)`,
      ratio: ratio(header.op, header.baseline),
      target: '>= 10 M/s',
      verdict: verdict(header.op >= 10e6),
    },
    {
      bench,
      metric: 'cipher, encrypt + decrypt of 1 KiB',
      value: `${fmt(mbps(cipher.op))} MB/s`,
      baseline: `${fmt(mbps(cipher.baseline))} MB/s (two Buffer copies of 1 KiB)`,
      ratio: ratio(cipher.op, cipher.baseline),
      target: '>= 150 MB/s',
      verdict: verdict(mbps(cipher.op) >= 150),
    },
  ];
  return {
    name: 'codecs',
    title: 'Codecs',
    rows,
    notes: [
      `Each codec in its own fresh process (${seconds} s: warm-up, then codec and baseline interleaved in 9 slices each, best slice of each). ` +
        'MB/s counts the 1 KiB plaintext once per encrypt+decrypt pair.',
    ],
    seconds: (now() - started) / 1000,
  };
}
