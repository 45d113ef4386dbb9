import { type CameraLink } from '../nodes/engine/camera-link';
import { DEFAULT_ENDPOINT_OPTIONS, Endpoint } from '../nodes/engine/endpoint';
import { BareClient } from './lib/bare-client';
import { type EmulatedCameraInfo } from './lib/emulator-process';
import { socketDrops, udpCounters } from './lib/kernel';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CameraFleet, delta } from './lib/cameras';
import { type BenchOptions, type BenchResult, type Row, bytes, fmt, percent, ratio, size, verdict } from './lib/report';
import { WindowProfiler } from './lib/profiler';
import { collectGarbage, cpuMicros, forEachLimit, hasGc, memory, now, sleep } from './lib/util';

/** Handshakes in flight at once while the sessions are being set up. */
const CONNECT_WINDOW = 128;

interface Window {
  readonly seconds: number;
  readonly cpuShare: number;
  readonly emulatorCpuShare: number;
  readonly alivesSent: number;
  readonly acksReceivedByCameras: number;
  readonly answered: number;
  readonly wakeups: number;
  readonly probes: number;
}

/**
 * 2. Scale: N concurrent sessions on one Endpoint while every emulated camera (in other
 * processes) sends ALIVE each second. Baseline: a bare dgram socket that answers the same ALIVEs
 * from the same cameras, with nothing else (bench/lib/bare-client.ts).
 */
export async function scale(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const sessions = size(options, 'sessions', 10_000, 200);
  const engineSeconds = size(options, 'seconds', 60, 4);
  const baselineSeconds = size(options, 'baselineSeconds', 30, 2);
  const warmMs = size(options, 'warmMs', 3000, 500);
  const fleet = await CameraFleet.start(sessions, '127.1.0.1');
  const cameras = fleet.cameras;
  const notes: string[] = [];
  // --set profile=1: CPU profiles of both steady windows, summarised in the notes (issue 12).
  const profileDir = options.params?.profile ? join(tmpdir(), `scale-prof-${process.pid}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const profiler = profileDir ? new WindowProfiler() : undefined;

  const measure = async (
    seconds: number,
    answered: () => number,
    wakeups: () => number,
    probes: () => number,
    name: string,
  ): Promise<Window> => {
    const [emu0, ecpu0] = await Promise.all([fleet.stats(), fleet.cpuMicros()]);
    await profiler?.start();
    const a0 = answered();
    const w0 = wakeups();
    const p0 = probes();
    const c0 = cpuMicros();
    const t0 = now();
    await sleep(seconds * 1000);
    const wallMs = now() - t0;
    const cpu = cpuMicros() - c0;
    if (profiler && profileDir) {
      const top = await profiler.stop(profileDir, name);
      notes.push(`Profile of the ${name} window (${profileDir}/${name}.cpuprofile), self time: ${top.join('; ')}.`);
    }
    const a1 = answered();
    const w1 = wakeups();
    const p1 = probes();
    const [emu1, ecpu1] = await Promise.all([fleet.stats(), fleet.cpuMicros()]);
    const d = delta(emu1, emu0);
    return {
      seconds: wallMs / 1000,
      cpuShare: cpu / 1000 / wallMs,
      emulatorCpuShare: (ecpu1 - ecpu0) / 1000 / wallMs,
      alivesSent: d.alivesSent,
      acksReceivedByCameras: d.aliveAcksReceived,
      answered: a1 - a0,
      wakeups: (w1 - w0) / (wallMs / 1000),
      probes: (p1 - p0) / (wallMs / 1000),
    };
  };

  // Baseline: the bare client.
  const bareUdp0 = udpCounters();
  await collectGarbage();
  const bareMem0 = memory();
  const bare = await BareClient.open(fleet.searchPort, DEFAULT_ENDPOINT_OPTIONS.receiveBufferBytes);
  await forEachLimit(cameras, CONNECT_WINDOW, async (camera) => {
    await bare.connect(camera.ip);
  });
  await collectGarbage();
  const bareMem1 = memory();
  const bareSessions = bare.sessions;
  await sleep(warmMs);
  const base = await measure(
    baselineSeconds,
    () => bare.alivesAnswered,
    () => 0,
    () => 0,
    'bare',
  );
  const bareDrops = (await socketDrops(bare.socket.address().port)).atPort;
  const bareUdp1 = udpCounters();
  bare.closeSessions();
  await sleep(500);
  await bare.close();

  // The engine.
  const before = await fleet.stats();
  const engineUdp0 = udpCounters();
  await collectGarbage();
  const mem0 = memory();
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
  let disconnects = 0;
  let failedHandshakes = 0;
  const connectStarted = now();
  // One shared listener, and the handshake listeners removed once settled: the bench must not
  // add a closure per session to the memory it measures.
  const onDisconnected = (): void => {
    disconnects++;
  };
  const connectAll = (batch: readonly EmulatedCameraInfo[]): Promise<void> =>
    forEachLimit(batch, CONNECT_WINDOW, async (camera) => {
      const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: true });
      if (!link) throw new Error('endpoint refused a link');
      links.push(link);
      link.on('disconnected', onDisconnected);
      if (!(await handshake(link))) failedHandshakes++;
    });
  // Half, then the rest: the second half's growth is the marginal cost of a session, free of
  // one-time costs (compiled code, the endpoint itself) that the whole delta also carries.
  const half = Math.floor(cameras.length / 2);
  await connectAll(cameras.slice(0, half));
  await collectGarbage();
  const memHalf = memory();
  await connectAll(cameras.slice(half));
  const connectSeconds = (now() - connectStarted) / 1000;
  const connected = (): number => links.filter((l) => l.state === 'connected').length;
  const connectedCount = connected();
  await collectGarbage();
  const mem1 = memory();
  const answered = (): number => links.reduce((total, l) => total + (l.sessionStats?.alivesAnswered ?? 0), 0);
  await sleep(warmMs);
  const probes = (): number => links.reduce((total, l) => total + (l.sessionStats?.alivesSent ?? 0), 0);
  const pppp = endpoint.localPorts.pppp ?? -1;
  const dropsBeforeWindow = (await socketDrops(pppp)).atPort;
  const eng = await measure(engineSeconds, answered, () => endpoint.timerWakeups, probes, 'engine');
  const dropsInWindow = (await socketDrops(pppp)).atPort - dropsBeforeWindow;
  const disconnectsInRun = disconnects;
  const stillConnected = connected();

  const clientDrops = (await socketDrops(pppp)).atPort;
  const engineUdp1 = udpCounters();
  // Every ALIVE answered: stop the cameras, let in-flight datagrams land, compare totals.
  const final = delta(await fleet.freeze(), before);
  await sleep(500);
  const answeredTotal = answered();
  const endpointStats = { ...endpoint.stats };
  await endpoint.close();
  await fleet.close();

  const perSession = (a: number, b: number, n: number): number => (n > 0 ? (a - b) / n : NaN);
  const heap = perSession(mem1.heapUsed, mem0.heapUsed, connectedCount);
  const marginalHeap = perSession(mem1.heapUsed, memHalf.heapUsed, connectedCount - half);
  const marginalRss = perSession(mem1.rss, memHalf.rss, connectedCount - half);
  const rss = perSession(mem1.rss, mem0.rss, connectedCount);
  const ext = perSession(mem1.external, mem0.external, connectedCount);
  const bareHeap = perSession(bareMem1.heapUsed, bareMem0.heapUsed, bareSessions);
  const bareRss = perSession(bareMem1.rss, bareMem0.rss, bareSessions);
  const answeredShare = final.alivesSent > 0 ? answeredTotal / final.alivesSent : NaN;
  const baseShare = base.alivesSent > 0 ? base.answered / base.alivesSent : NaN;
  const bench = `scale (${fmt(sessions, 0)} sessions)`;
  const rows: Row[] = [
    {
      bench,
      metric: 'sessions connected on one Endpoint',
      value: `${connectedCount} / ${sessions}`,
      baseline: `${bareSessions} (bare)`,
      ratio: ratio(connectedCount, bareSessions),
      target: `${sessions}`,
      verdict: verdict(connectedCount === sessions && stillConnected === sessions),
    },
    {
      bench,
      metric: `client CPU, share of one core (${eng.seconds.toFixed(0)} s steady window, ${fmt(eng.alivesSent / eng.seconds)} ALIVE/s in)`,
      value: percent(eng.cpuShare),
      baseline: `${percent(base.cpuShare)} (bare dgram echo, ${fmt(base.alivesSent / base.seconds)} ALIVE/s)`,
      ratio: ratio(eng.cpuShare, base.cpuShare),
      // Issue 12: the bare socket is the floor on this machine (issue 6 asked for < 15 % of a core,
      // below what the bare client itself needs here), so the target is a ratio against it.
      target: '<= 1.3x bare',
      verdict: verdict(eng.cpuShare <= 1.3 * base.cpuShare),
    },
    {
      bench,
      metric: 'JS heap per session (after gc, delta before/after connecting)',
      value: bytes(heap),
      baseline: `${bytes(bareHeap)} (bare)`,
      ratio: ratio(heap, bareHeap),
      target: '< 1 KiB',
      verdict: verdict(heap < 1024),
    },
    {
      bench,
      metric: 'marginal JS heap / RSS per session (second half of the sessions only)',
      value: `${bytes(marginalHeap)} / ${bytes(marginalRss)}`,
      baseline: `${bytes(bareHeap)} / ${bytes(bareRss)} (bare, whole delta)`,
      ratio: ratio(marginalHeap, bareHeap),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'RSS per session (same deltas)',
      value: bytes(rss),
      baseline: `${bytes(bareRss)} (bare)`,
      ratio: ratio(rss, bareRss),
      target: '< 2 KB',
      verdict: verdict(rss < 2048),
    },
    {
      bench,
      metric: 'ALIVEs answered / ALIVEs the cameras sent (whole run)',
      value: `${answeredTotal} / ${final.alivesSent} = ${percent(answeredShare)}`,
      baseline: `${percent(baseShare)} (bare, its window)`,
      ratio: ratio(answeredShare, baseShare),
      target: '100%',
      verdict: verdict(answeredTotal >= final.alivesSent && final.alivesSent > 0),
    },
    {
      bench,
      metric: 'false disconnected events (cameras never went away)',
      value: String(disconnectsInRun),
      baseline: '0 (bare has no detector)',
      ratio: 'n/a',
      target: '0',
      verdict: verdict(disconnectsInRun === 0),
    },
    {
      bench,
      metric: 'datagrams the kernel dropped at the client socket (full receive buffer): steady window / whole run',
      value: `${dropsInWindow} / ${clientDrops}`,
      baseline: `${bareDrops} (bare, whole run)`,
      ratio: 'n/a',
      target: '0',
      verdict: verdict(clientDrops === 0),
    },
    {
      bench,
      metric: "sessions' own ALIVEs (probes) per second, steady window",
      value: fmt(eng.probes),
      baseline: '0 (bare never probes)',
      ratio: 'n/a',
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'endpoint timer wakeups per second (steady window)',
      value: fmt(eng.wakeups),
      baseline: `${fmt(eng.alivesSent / eng.seconds)} ALIVE/s`,
      ratio: ratio(eng.wakeups, eng.alivesSent / eng.seconds),
      target: 'report',
      verdict: 'info',
    },
  ];
  notes.push(
    `${fleet.processes.length} emulator process(es) of up to ${fleet.perProcess} cameras (3 sockets each; open-file limit ` +
      `${fleet.processes.map((p) => p.ready.openFileLimit ?? '?').join('/')}), cameras ${cameras[0]?.ip}..${cameras.at(-1)?.ip}.`,
    `Connecting ${sessions} sessions (${CONNECT_WINDOW} handshakes in flight) took ${connectSeconds.toFixed(1)} s; ` +
      `${failedHandshakes} handshake attempt(s) failed.`,
    `Steady window: engine ${eng.seconds.toFixed(1)} s, bare ${base.seconds.toFixed(1)} s; emulator processes used ` +
      `${percent(eng.emulatorCpuShare)} (engine run) and ${percent(base.emulatorCpuShare)} (bare run) of one core.`,
    `Kernel UDP receive-buffer errors in this network namespace: ${engineUdp1.rcvbufErrors - engineUdp0.rcvbufErrors} ` +
      `during the engine run, ${bareUdp1.rcvbufErrors - bareUdp0.rcvbufErrors} during the bare run.`,
    `Cameras received ${final.aliveAcksReceived} ALIVE_ACKs for ${final.alivesSent} ALIVEs in the engine run; endpoint ` +
      `stats: ${endpointStats.ppppIn} in, ${endpointStats.sent} sent, ${endpointStats.ppppUnclaimed} unclaimed, ` +
      `${endpointStats.sendErrors} send errors. External (Buffer) memory per session ${bytes(ext)}.`,
  );
  profiler?.close();
  if (!hasGc()) notes.push('node ran without --expose-gc: memory figures include garbage.');
  return { name: 'scale', title: 'Scale', rows, notes, seconds: (now() - started) / 1000 };
}

/** Resolves true on `connected`, false on `handshake-failed`, and leaves no listener behind. */
function handshake(link: CameraLink): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      link.off('connected', onConnected);
      link.off('handshake-failed', onFailed);
      resolve(ok);
    };
    const onConnected = (): void => done(true);
    const onFailed = (): void => done(false);
    link.on('connected', onConnected);
    link.on('handshake-failed', onFailed);
    link.connect();
  });
}
