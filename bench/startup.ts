import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleOf } from '../nodes/adapter/network-handle';
import { BareClient } from './lib/bare-client';
import { EmulatorProcess } from './lib/emulator-process';
import { udpCounters } from './lib/kernel';
import { type Arrival, NodeRedRuntime } from './lib/node-red-runtime';
import { WindowProfiler } from './lib/profiler';
import { type BenchOptions, type BenchResult, type Row, ms, ratio, size, verdict } from './lib/report';
import { collectGarbage, now, percentile } from './lib/util';
import { loopbackNetwork } from './lib/flow-nodes';

/** The flow's cameras must all be up within this; beyond it the run counts as failed. */
const GUARD_MS = 120_000;

/**
 * 1d. Startup (issue 12): a vstar-network node and N vstar-session nodes (one per emulated camera,
 * by IP, autoConnect on) deployed at once into a running Node-RED (bench/lib/node-red-runtime.ts);
 * from the deploy to the last session's `connected` message at the node they are all wired to.
 * Baseline: N handshakes one after another from a bare dgram socket (bench/lib/bare-client.ts) to
 * the same cameras, the same run.
 */
export async function startup(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const cameras = size(options, 'cameras', 1000, 50);
  const red = await NodeRedRuntime.start();
  const emulator = await EmulatorProcess.spawn({ count: cameras, first: '127.6.0.1' });
  const { dhPort, searchPort } = emulator.ready;
  try {
    // Baseline: one handshake after another; CLOSE afterwards so the cameras forget this client.
    // Each measured span starts on a collected heap: what Node-RED's start left is neither's cost.
    await collectGarbage();
    const bare = await BareClient.open(searchPort, 4 * 1024 * 1024);
    const bare0 = now();
    for (const camera of emulator.cameras) await bare.connect(camera.ip);
    const bareMs = now() - bare0;
    await bare.close();

    const flow: object[] = [
      { id: 'tab', type: 'tab', label: 'bench' },
      loopbackNetwork(dhPort, searchPort),
      ...emulator.cameras.map((camera, i) => ({
        id: `sess${i}`,
        z: 'tab',
        type: 'vstar-session',
        name: '',
        network: 'net',
        camera: camera.ip,
        autoConnect: true,
        reconnect: true,
        wires: [['out']],
      })),
      { id: 'out', z: 'tab', type: 'bench-sink', wires: [] },
    ];
    // --set profile=1: a CPU profile from the deploy to the last 'connected', summarised in the notes.
    const profileDir = options.params?.profile ? join(tmpdir(), `startup-prof-${process.pid}`) : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    await collectGarbage();
    const profiler = profileDir ? new WindowProfiler() : undefined;
    await profiler?.start();
    const udp0 = udpCounters();
    const emulatorCpu0 = (await emulator.request('cpu')).cpuUs;
    const cpu0 = process.cpuUsage();
    const t0 = now();
    await red.deploy(flow);
    const deployedMs = now() - t0;
    // The sink records every message from its creation on: none is missed while the deploy settles.
    const sink = red.sink('out');
    const connectedAt: number[] = [];
    await new Promise<void>((resolve) => {
      const guard = setTimeout(resolve, GUARD_MS);
      const count = ({ msg, at }: Arrival): void => {
        if (msg.event !== 'connected') return;
        connectedAt.push(at - t0);
        if (connectedAt.length !== cameras) return;
        clearTimeout(guard);
        resolve();
      };
      sink.arrivals.forEach(count);
      sink.onArrival = count;
    });
    const connected = connectedAt.length;
    const flowMs = connected === cameras ? Math.max(...connectedAt) : NaN;
    const cpu = process.cpuUsage(cpu0);
    const emulatorCpuMs = ((await emulator.request('cpu')).cpuUs - emulatorCpu0) / 1000;
    const udp1 = udpCounters();
    const stats = handleOf(red.node('net'))?.endpoint?.stats;
    const profileTop = profiler && profileDir ? await profiler.stop(profileDir, 'startup') : undefined;
    profiler?.close();

    const bench = `startup (${cameras} cameras)`;
    const rows: Row[] = [
      {
        bench,
        metric: `deploy of a network node with ${cameras} session nodes -> every one 'connected' (msg at the next node)`,
        value: ms(flowMs),
        baseline: `${ms(bareMs)} (${cameras} sequential bare handshakes)`,
        ratio: ratio(flowMs, bareMs),
        target: '<= 2x',
        verdict: verdict(flowMs <= 2 * bareMs),
      },
      {
        bench,
        metric: 'sessions connected',
        value: `${connected} / ${cameras}`,
        baseline: `${cameras} (bare)`,
        ratio: ratio(connected, cameras),
        target: `${cameras}`,
        verdict: verdict(connected === cameras),
      },
    ];
    return {
      name: 'startup',
      title: 'Startup with many cameras',
      rows,
      notes: [
        `A Node-RED runtime in the benchmark's process (bench/lib/node-red-runtime.ts: admin API and comms set up, ` +
          `no HTTP listener); one full deploy of a vstar-network (default passphrases: a camera's first search goes out ` +
          `in all four forms) and ${cameras} vstar-session nodes ` +
          `by IP (autoConnect, reconnect on) wired to one node; the flows had started ${ms(deployedMs)} after the deploy. ` +
          `Emulated cameras in one process at 127.6.0.1 upward. The baseline client closes its sessions before the deploy.`,
        `'connected' at the next node from the deploy: first ${ms(Math.min(...connectedAt))}, ` +
          `half ${ms(percentile(connectedAt, 0.5))}, 90 % ${ms(percentile(connectedAt, 0.9))}, last ${ms(flowMs)}; ` +
          `kernel UDP receive-buffer drops meanwhile: ${udp1.rcvbufErrors - udp0.rcvbufErrors}. ` +
          `CPU from the deploy to the last 'connected': Node-RED's process ${ms((cpu.user + cpu.system) / 1000)}, ` +
          `the emulator's ${ms(emulatorCpuMs)}` +
          (stats ? `; the network node sent ${stats.sent} and received ${stats.ppppIn} PPPP datagrams.` : '.'),
        ...(profileTop
          ? [`Profile of the deploy (${profileDir ?? ''}/startup.cpuprofile), self time: ${profileTop.join('; ')}.`]
          : []),
      ],
      seconds: (now() - started) / 1000,
    };
  } finally {
    await red.stop();
    await emulator.close();
  }
}
