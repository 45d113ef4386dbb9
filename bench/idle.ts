import { type CameraLink } from '../nodes/engine/camera-link';
import { DEFAULT_ENDPOINT_OPTIONS, Endpoint } from '../nodes/engine/endpoint';
import { BareClient } from './lib/bare-client';
import { EmulatorProcess } from './lib/emulator-process';
import { type BenchOptions, type BenchResult, type Row, fmt, percent, ratio, size, verdict } from './lib/report';
import { cpuMicros, now, sleep } from './lib/util';

interface Idle {
  readonly cpuShare: number;
  readonly wakeupsPerSecond: number;
  readonly seconds: number;
}

async function window(seconds: number, wakeups: () => number): Promise<Idle> {
  const c0 = cpuMicros();
  const w0 = wakeups();
  const t0 = now();
  await sleep(seconds * 1000);
  const wallMs = now() - t0;
  return {
    cpuShare: (cpuMicros() - c0) / 1000 / wallMs,
    wakeupsPerSecond: ((wakeups() - w0) * 1000) / wallMs,
    seconds: wallMs / 1000,
  };
}

/**
 * 6. Idle cost: CPU and timer wakeups of an Endpoint holding N idle connected sessions (each
 * camera sends one ALIVE a second), against the same Endpoint with no session and against the
 * bare dgram client answering the same ALIVEs. Sessions are connected spread over one second,
 * as sessions made at different times are, so their ALIVEs do not arrive in step.
 */
export async function idle(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const sessions = size(options, 'sessions', 100, 100);
  const seconds = size(options, 'seconds', 20, 2);
  const settleMs = size(options, 'settleMs', 3000, 1000);
  const emulator = await EmulatorProcess.spawn({ count: sessions, first: '127.4.0.1' });
  const { dhPort, searchPort } = emulator.ready;
  const endpoint = new Endpoint({ bind: '0.0.0.0', targets: ['127.255.255.255'], dhPort, searchPort });
  await endpoint.ready();

  await sleep(500);
  const empty = await window(seconds, () => endpoint.timerWakeups);

  const links: CameraLink[] = [];
  let disconnects = 0;
  const spreadMs = 1000 / sessions;
  await Promise.all(
    emulator.cameras.map(async (camera, i) => {
      await sleep(i * spreadMs);
      const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: true });
      if (!link) throw new Error('endpoint refused a link');
      links.push(link);
      link.on('disconnected', () => disconnects++);
      const up = new Promise<void>((resolve) => link.once('connected', () => resolve()));
      link.connect();
      await up;
    }),
  );
  await sleep(settleMs);
  const emu0 = await emulator.stats();
  const busy = await window(seconds, () => endpoint.timerWakeups);
  const emu1 = await emulator.stats();
  const aliveRate = (emu1.alivesSent - emu0.alivesSent) / busy.seconds;
  const probes = links.reduce((t, l) => t + (l.sessionStats?.alivesSent ?? 0), 0);
  const falseDisconnects = disconnects;
  for (const link of links) endpoint.release(link);
  await endpoint.close();
  await sleep(500);

  const bare = await BareClient.open(searchPort, DEFAULT_ENDPOINT_OPTIONS.receiveBufferBytes);
  for (const camera of emulator.cameras) await bare.connect(camera.ip);
  await sleep(settleMs);
  const bareIdle = await window(seconds, () => 0);
  await bare.close();
  await emulator.close();

  const perSessionTick = busy.wakeupsPerSecond / (sessions * (aliveRate / sessions));
  const bench = `idle (${sessions} sessions)`;
  const rows: Row[] = [
    {
      bench,
      metric: `timer wakeups per second (${busy.seconds.toFixed(0)} s window)`,
      value: fmt(busy.wakeupsPerSecond),
      baseline: `${fmt(empty.wakeupsPerSecond)} (0 sessions)`,
      ratio: ratio(busy.wakeupsPerSecond, empty.wakeupsPerSecond),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'wakeups / (sessions x ALIVE rate)',
      value: perSessionTick.toFixed(3),
      baseline: `${fmt(aliveRate)} ALIVE/s from ${sessions} cameras`,
      ratio: perSessionTick.toFixed(3),
      target: '< 0.25 (coalesced, not 1 per session per ALIVE)',
      verdict: verdict(perSessionTick < 0.25),
    },
    {
      bench,
      metric: 'client CPU, share of one core',
      value: percent(busy.cpuShare),
      baseline: `${percent(empty.cpuShare)} (0 sessions); ${percent(bareIdle.cpuShare)} (bare dgram, ${sessions} sessions)`,
      ratio: `${ratio(busy.cpuShare, bareIdle.cpuShare)} of bare`,
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'own ALIVEs sent by sessions (probes), whole run / false disconnects',
      value: `${probes} / ${falseDisconnects}`,
      baseline: '0 / 0',
      ratio: 'n/a',
      target: '0 / 0',
      verdict: verdict(falseDisconnects === 0 && probes === 0),
    },
  ];
  return {
    name: 'idle',
    title: 'Idle cost',
    rows,
    notes: [
      `${sessions} sessions connected one every ${spreadMs.toFixed(0)} ms, then ${settleMs} ms to settle; windows of ` +
        `${seconds} s with 0 sessions, with ${sessions}, and with the bare client holding the same ${sessions}.`,
    ],
    seconds: (now() - started) / 1000,
  };
}
