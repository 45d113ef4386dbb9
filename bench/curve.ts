import { Endpoint, DEFAULT_ENDPOINT_OPTIONS } from '../nodes/engine/endpoint';
import { type CameraLink } from '../nodes/engine/camera-link';
import { BareClient } from './lib/bare-client';
import { CameraFleet } from './lib/cameras';
import { type BenchOptions, type BenchResult, type Row, fmt, ratio, size, verdict } from './lib/report';
import { cpuMicros, forEachLimit, now, sleep } from './lib/util';

/** Handshakes in flight at once while the sessions are being set up (as bench/scale.ts). */
const CONNECT_WINDOW = 128;
/** Cost per session may grow by this much from the smallest size to the largest and still count as flat. */
const FLAT_TOLERANCE = 1.5;

interface Point {
  readonly sessions: number;
  /** CPU µs per session per second of the steady window. */
  readonly engine: number;
  readonly bare: number;
  readonly connected: number;
}

/**
 * 2b. Scale curve (issue 12): CPU per session-second at several session counts in one run, each
 * against the bare dgram echo of the same cameras at the same size, so the table shows whether
 * the cost of a session stays flat as sessions grow (a per-datagram cost that grew with the
 * number of sessions, a scan or a map that degrades, would show as a rising engine column).
 */
export async function curve(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const smoke = options.smoke === true;
  const sizes = smoke ? [100, 200] : [1000, 5000, 10_000, 16_000];
  const only = options.params?.sessions;
  const seconds = size(options, 'seconds', 15, 3);
  const warmMs = size(options, 'warmMs', 2000, 500);
  const points: Point[] = [];
  const notes: string[] = [];
  for (const sessions of only !== undefined ? [only] : sizes) {
    const fleet = await CameraFleet.start(sessions, '127.1.0.1');
    try {
      const window = async (): Promise<number> => {
        await sleep(warmMs);
        const c0 = cpuMicros();
        const t0 = now();
        await sleep(seconds * 1000);
        return (cpuMicros() - c0) / ((now() - t0) / 1000);
      };
      const bare = await BareClient.open(fleet.searchPort, DEFAULT_ENDPOINT_OPTIONS.receiveBufferBytes);
      await forEachLimit(fleet.cameras, CONNECT_WINDOW, async (camera) => {
        await bare.connect(camera.ip);
      });
      const bareSessions = bare.sessions;
      const bareCpu = await window();
      bare.closeSessions();
      await sleep(500);
      await bare.close();

      const endpoint = new Endpoint({
        bind: '0.0.0.0',
        targets: ['127.255.255.255'],
        dhPort: fleet.dhPort,
        searchPort: fleet.searchPort,
        timeoutMs: 10_000,
        maxSessions: sessions + 64,
      });
      await endpoint.ready();
      const links: CameraLink[] = [];
      await forEachLimit(fleet.cameras, CONNECT_WINDOW, async (camera) => {
        const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: true });
        if (!link) throw new Error('endpoint refused a link');
        links.push(link);
        await new Promise<void>((resolve) => {
          const done = (): void => {
            link.off('connected', done);
            link.off('handshake-failed', done);
            resolve();
          };
          link.on('connected', done);
          link.on('handshake-failed', done);
          link.connect();
        });
      });
      const connected = links.filter((l) => l.state === 'connected').length;
      const engineCpu = await window();
      await endpoint.close();
      points.push({
        sessions,
        engine: engineCpu / Math.max(1, connected),
        bare: bareCpu / Math.max(1, bareSessions),
        connected,
      });
      notes.push(
        `${sessions} sessions: ${connected} connected (bare ${bareSessions}); client CPU ${fmt(engineCpu / 10_000)}% ` +
          `of a core (bare ${fmt(bareCpu / 10_000)}%), ${fleet.processes.length} emulator process(es).`,
      );
    } finally {
      await fleet.close();
    }
  }

  const bench = 'scale curve';
  const rows: Row[] = points.map((p) => ({
    bench,
    metric: `CPU per session-second at ${fmt(p.sessions, 0)} sessions (${seconds} s window, ALIVE every second)`,
    value: `${fmt(p.engine)} µs`,
    baseline: `${fmt(p.bare)} µs (bare dgram echo, same cameras)`,
    ratio: ratio(p.engine, p.bare),
    target: p.connected === p.sessions ? 'report' : `${p.sessions} connected`,
    verdict: p.connected === p.sessions ? 'info' : 'missed',
  }));
  const first = points[0];
  const last = points.at(-1);
  if (first && last && points.length > 1) {
    const growth = last.engine / first.engine;
    const bareGrowth = last.bare / first.bare;
    rows.push({
      bench,
      metric: `growth of the cost per session-second, ${fmt(first.sessions, 0)} -> ${fmt(last.sessions, 0)} sessions`,
      value: `${fmt(growth)}x`,
      baseline: `${fmt(bareGrowth)}x (bare)`,
      ratio: ratio(growth, bareGrowth),
      target: `<= ${FLAT_TOLERANCE}x (flat)`,
      verdict: verdict(growth <= FLAT_TOLERANCE),
    });
  }
  notes.push(
    `Each size in turn: a fresh fleet of emulated cameras, the bare client's window, then the engine's, ${seconds} s each after ` +
      `${warmMs} ms to settle. A session-second is one session held for one second: one ALIVE in, one ALIVE_ACK out, ` +
      `one keepalive check.`,
  );
  return { name: 'curve', title: 'Scale curve', rows, notes, seconds: (now() - started) / 1000 };
}
