import { join } from 'node:path';
import { EmulatorProcess } from './lib/emulator-process';
import { udpCounters } from './lib/kernel';
import { JsonChild, type JsonObject } from './lib/json-child';
import { type BenchOptions, type BenchResult, type Row, bytes, ms, percent, ratio, size, verdict } from './lib/report';
import { now, sleep } from './lib/util';

/** Proposed for issue 11: the relay costs at most twice the bare relay's CPU at every viewer count. */
const TARGET_CPU_RATIO = 2;
/** Proposed for issue 11: a frame reaches the viewers' sockets within 20 ms at p99. */
const TARGET_P99_MS = 20;
const FRAME_RATE = 15;
const VIEWER_COUNTS = [1, 10, 50] as const;
/** How long to wait for every viewer's first bytes (a viewer starts at a key frame, one every 2 s). */
const FIRST_BYTES_GUARD_MS = 15_000;
const POLL_MS = 100;
/** After the last viewer's first bytes: the stream is steady. */
const SETTLE_MS = 500;

type Kind = 'engine' | 'bare';
type Format = 'mp4' | 'h264';

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly count: number;
}

interface Phase {
  readonly kind: Kind;
  readonly cameras: number;
  readonly viewersPerCamera: number;
  readonly format: Format;
  readonly cpuShare: number;
  readonly rss: number;
  readonly wallMs: number;
  readonly latency: Latency;
  readonly latencyWithHold: Latency | undefined;
  readonly framesReceived: number;
  readonly framesDropped: number;
  readonly viewerFramesDropped: number;
  /** Per viewer, bits per second they read over the window. */
  readonly viewerKbps: number;
  readonly emulatorCpuShare: number;
  readonly cameraFramesSent: number;
  /** Datagrams the kernel dropped for a full receive buffer, anywhere in the namespace, over the window. */
  readonly kernelDrops: number;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : NaN;
}

function latencyOf(value: unknown): Latency {
  const object = (typeof value === 'object' && value !== null ? value : {}) as JsonObject;
  return { p50: num(object.p50), p99: num(object.p99), count: num(object.count) };
}

/**
 * 11. Live video relay: one 1080p-class stream (the emulator's clip padded to `kbps` with SEI
 * user data, so every byte reaches every viewer) relayed to 1, 10 and 50 HTTP viewers by the
 * engine (Endpoint + VideoStream + pipeVideo on a plain http server, the code path of
 * vstar-stream) and, as the baseline, by a bare UDP-to-HTTP relay of the same datagrams; then as
 * many camera streams as fit in one core. Cameras, relays and viewers each run in their own
 * process, so a relay's CPU share and RSS are its own.
 */
export async function video(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const seconds = size(options, 'seconds', 10, 1.5);
  const kbps = size(options, 'kbps', 3000, 3000);
  const maxStreams = size(options, 'streams', 64, 2);
  const emulator = await EmulatorProcess.spawn({ count: maxStreams, first: '127.11.0.1', videoKbps: kbps });
  const viewers = await JsonChild.spawn(join(__dirname, 'lib', 'video-viewers-child.ts'), []);
  const ips = emulator.cameras.map((c) => c.ip);
  const { dhPort, searchPort } = emulator.ready;

  const emulatorCpu = async (): Promise<{ cpuUs: number; frames: number }> => {
    const cpu = await emulator.request('cpu');
    const stats = await emulator.request('stats');
    return { cpuUs: cpu.cpuUs, frames: stats.videoFramesSent ?? 0 };
  };

  const phase = async (kind: Kind, cameras: number, viewersPerCamera: number, format: Format): Promise<Phase> => {
    const relay = await JsonChild.spawn(join(__dirname, 'lib', 'video-relay-child.ts'), [
      '--kind',
      kind,
      '--cameras',
      ips.slice(0, cameras).join(','),
      '--dh-port',
      String(dhPort),
      '--search-port',
      String(searchPort),
    ]);
    try {
      const port = num(relay.ready.port);
      for (let camera = 0; camera < cameras; camera++) {
        const url = `http://127.0.0.1:${port}/cam/${camera}/video.${format}`;
        await viewers.request('open', { url, count: viewersPerCamera });
      }
      const guard = now() + FIRST_BYTES_GUARD_MS;
      while (num((await viewers.request('bytes')).least) === 0) {
        if (now() > guard) throw new Error(`${kind} relay: a viewer got no bytes in ${FIRST_BYTES_GUARD_MS} ms`);
        await sleep(POLL_MS);
      }
      await sleep(SETTLE_MS);
      const emulator0 = await emulatorCpu();
      const bytes0 = num((await viewers.request('bytes')).total);
      const kernel0 = udpCounters().rcvbufErrors;
      await relay.request('begin');
      const t0 = now();
      await sleep(seconds * 1000);
      const end = await relay.request('end');
      const windowMs = now() - t0;
      const bytes1 = num((await viewers.request('bytes')).total);
      const emulator1 = await emulatorCpu();
      const kernelDrops = udpCounters().rcvbufErrors - kernel0;
      await viewers.request('close-all');
      const counters = (typeof end.counters === 'object' && end.counters !== null ? end.counters : {}) as JsonObject;
      return {
        kind,
        cameras,
        viewersPerCamera,
        format,
        cpuShare: num(end.cpuShare),
        rss: num(end.rss),
        wallMs: num(end.wallMs),
        latency: latencyOf(end.latency),
        latencyWithHold: end.latencyWithHold === undefined ? undefined : latencyOf(end.latencyWithHold),
        framesReceived: num(counters.framesReceived),
        framesDropped: num(counters.framesDropped),
        viewerFramesDropped: num(counters.viewerFramesDropped),
        viewerKbps: ((bytes1 - bytes0) * 8) / windowMs / (cameras * viewersPerCamera),
        emulatorCpuShare: (emulator1.cpuUs - emulator0.cpuUs) / 1000 / windowMs,
        cameraFramesSent: emulator1.frames - emulator0.frames,
        kernelDrops,
      };
    } finally {
      await relay.close();
    }
  };

  const rows: Row[] = [];
  const notes: string[] = [];
  const bench = `video relay (${(kbps / 1000).toFixed(1)} Mbit/s)`;
  try {
    for (const n of VIEWER_COUNTS) {
      const mp4 = await phase('engine', 1, n, 'mp4');
      const h264 = await phase('engine', 1, n, 'h264');
      const bare = await phase('bare', 1, n, 'h264');
      rows.push(...viewerRows(bench, n, mp4, h264, bare));
      notes.push(
        `${n} viewer(s): per viewer read ${(mp4.viewerKbps / 1000).toFixed(2)} Mbit/s (.mp4), ` +
          `${(h264.viewerKbps / 1000).toFixed(2)} (.h264), ${(bare.viewerKbps / 1000).toFixed(2)} (bare); ` +
          `frames relayed ${mp4.framesReceived} / ${h264.framesReceived} in ${(mp4.wallMs / 1000).toFixed(1)} / ` +
          `${(h264.wallMs / 1000).toFixed(1)} s; emulator CPU ${percent(mp4.emulatorCpuShare)} / ` +
          `${percent(h264.emulatorCpuShare)} / ${percent(bare.emulatorCpuShare)}; latency samples ` +
          `${mp4.latency.count} / ${h264.latency.count} / ${bare.latency.count} (bare: per datagram); ` +
          `datagrams dropped by the kernel (full receive buffer) ${mp4.kernelDrops} / ${h264.kernelDrops} / ${bare.kernelDrops}.`,
      );
    }
    rows.push(...(await capacity(bench, maxStreams, phase, notes)));
  } finally {
    await viewers.close();
    await emulator.close();
  }
  notes.push(
    `One emulated camera process (${maxStreams} cameras at 127.11.0.1 upward, the 640x360 15 fps clip padded to ` +
      `${kbps} kbit/s with one SEI user-data unit per frame, ~${Math.round((kbps * 1000) / 8 / FRAME_RATE / 1024)} KiB ` +
      `a frame in 1 KiB DRWs); each relay in a fresh process per phase (${seconds} s window after every viewer got ` +
      `its first bytes + ${SETTLE_MS} ms); the viewers in one more process, reading as fast as they can. ` +
      `CPU share = process.cpuUsage over wall time, of one core; RSS at the end of the window.`,
    `Latency: from the arrival (the 'message' event of the relay's UDP socket) of the DRW that completed a frame to ` +
      `the frame's last byte handed to res.write. The MP4 muxer holds each frame until the next one gives its duration ` +
      `(by design, ~${Math.round(1000 / FRAME_RATE)} ms at ${FRAME_RATE} fps), so .mp4 is shown without the hold ` +
      `(from the arrival that released the fragment) and with it. Bare: from a datagram's arrival to its payload ` +
      `written to every viewer (it writes each payload as it comes, so it has no frame to wait for).`,
    `Bare relay: hand-built PPPP (LAN_SEARCH, PUNCH echo, one livestream.cgi DRW, a DRW_ACK per DRW, ALIVE_ACK) and ` +
      `one res.write per DRW payload per viewer, no parsing, no backpressure (bench/lib/bare-video-relay.ts).`,
  );
  return { name: 'video', title: 'Live video relay', rows, notes, seconds: (now() - started) / 1000 };
}

function viewerRows(bench: string, n: number, mp4: Phase, h264: Phase, bare: Phase): Row[] {
  const cpuRow = (phase: Phase, label: string): Row => ({
    bench,
    metric: `relay CPU, share of one core, ${n} ${label} viewer(s)`,
    value: percent(phase.cpuShare),
    baseline: `${percent(bare.cpuShare)} (bare UDP-to-HTTP relay, ${n} viewer(s))`,
    ratio: ratio(phase.cpuShare, bare.cpuShare),
    target: `<= ${TARGET_CPU_RATIO}x (proposed)`,
    verdict: verdict(phase.cpuShare <= TARGET_CPU_RATIO * bare.cpuShare),
  });
  const mp4Hold = mp4.latencyWithHold;
  const drops = [mp4, h264].reduce((total, p) => total + p.framesDropped + p.viewerFramesDropped, 0);
  const frames = mp4.framesReceived + h264.framesReceived;
  return [
    cpuRow(mp4, '.mp4'),
    cpuRow(h264, '.h264'),
    {
      bench,
      metric: `relay RSS, ${n} viewer(s): .mp4 / .h264`,
      value: `${bytes(mp4.rss)} / ${bytes(h264.rss)}`,
      baseline: `${bytes(bare.rss)} (bare)`,
      ratio: ratio(mp4.rss, bare.rss),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: `p50 / p99 last DRW of a frame -> its last byte to res.write, ${n} .h264 viewer(s)`,
      value: `${ms(h264.latency.p50)} / ${ms(h264.latency.p99)}`,
      baseline: `${ms(bare.latency.p50)} / ${ms(bare.latency.p99)} (bare, datagram -> write)`,
      ratio: ratio(h264.latency.p99, bare.latency.p99),
      target: `p99 <= ${TARGET_P99_MS} ms (proposed)`,
      verdict: verdict(h264.latency.p99 <= TARGET_P99_MS),
    },
    {
      bench,
      metric: `p50 / p99 of the same, ${n} .mp4 viewer(s), without the muxer's one-frame hold (with it: ${
        mp4Hold ? `${ms(mp4Hold.p50)} / ${ms(mp4Hold.p99)}` : 'n/a'
      })`,
      value: `${ms(mp4.latency.p50)} / ${ms(mp4.latency.p99)}`,
      baseline: `${ms(bare.latency.p50)} / ${ms(bare.latency.p99)} (bare)`,
      ratio: ratio(mp4.latency.p99, bare.latency.p99),
      target: `p99 <= ${TARGET_P99_MS} ms (proposed)`,
      verdict: verdict(mp4.latency.p99 <= TARGET_P99_MS),
    },
    {
      bench,
      metric: `frames dropped (reassembly + viewer queues), ${n} viewer(s), .mp4 + .h264 windows`,
      value: `${drops} of ${frames}`,
      baseline: '0 (viewers keep up)',
      ratio: 'n/a',
      target: '0',
      verdict: verdict(drops === 0 && frames > 0),
    },
  ];
}

type PhaseRunner = (kind: Kind, cameras: number, viewersPerCamera: number, format: Format) => Promise<Phase>;

/** Streams 1, 2, 4, ... (one .mp4 viewer each) until the relay needs more than one core or drops a frame. */
async function capacity(bench: string, maxStreams: number, phase: PhaseRunner, notes: string[]): Promise<Row[]> {
  let fit: Phase | undefined;
  let stoppedBecause = `reached the ${maxStreams} emulated cameras`;
  const ramp: string[] = [];
  for (let streams = 1; streams <= maxStreams; streams *= 2) {
    const result = await phase('engine', streams, 1, 'mp4');
    const dropped = result.framesDropped + result.viewerFramesDropped;
    const expected = (streams * FRAME_RATE * result.wallMs) / 1000;
    ramp.push(
      `${streams}: ${percent(result.cpuShare)} CPU, ${result.framesDropped} lost in reassembly + ` +
        `${result.viewerFramesDropped} in viewer queues, ${result.framesReceived}/${Math.round(expected)} frames, ` +
        `cameras sent ${result.cameraFramesSent}, emulator ${percent(result.emulatorCpuShare)}, ` +
        `kernel receive-buffer drops ${result.kernelDrops}`,
    );
    if (result.cpuShare > 1 || dropped > 0) {
      stoppedBecause =
        result.cpuShare > 1
          ? `${streams} streams took ${percent(result.cpuShare)}`
          : `${streams} streams lost ${dropped} frame(s), ${result.framesDropped} in reassembly, ` +
            `with ${result.kernelDrops} datagrams dropped by the kernel`;
      break;
    }
    fit = result;
  }
  notes.push(
    `Capacity ramp (streams: relay CPU, frames dropped, frames relayed/expected at 15 fps): ${ramp.join('; ')}.`,
  );
  const perStream = fit ? fit.cpuShare / fit.cameras : NaN;
  return [
    {
      bench,
      metric: `concurrent camera streams one process relays within one core (1 .mp4 viewer each; ramp stopped: ${stoppedBecause})`,
      value: String(fit?.cameras ?? 0),
      baseline: fit
        ? `${percent(perStream)} CPU per stream at ${fit.cameras} (1 core / that = ${Math.floor(1 / perStream)})`
        : 'n/a',
      ratio: 'n/a',
      target: 'report',
      verdict: 'info',
    },
  ];
}
