/**
 * The emulated cameras' process for the benchmarks: a CameraEmulator plus a bare dgram echo
 * socket (the round-trip baseline), driven over stdin/stdout with one JSON object per line.
 *
 *   argv: --count N --first 127.x.y.z --dh-port P --search-port Q [--identity-offset K] [--video-kbps K]
 *   out:  {"type":"camera",...} per camera (unless --quiet), then {"type":"ready",...}
 *   in:   {"id":1,"cmd":"stats"|"cpu"|"power-off"|"power-on"|"freeze"|"close","indices":[0,1]}
 *   out:  {"type":"reply","id":1,...}
 *
 * Every socket here is bound to a 127.x address and every reply goes back to 127.x senders.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { defaultIdentity } from '../../nodes/camera/defaults';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { type EmulatorStats, sumStats } from './emulator-stats';

interface Args {
  readonly count: number;
  readonly first: string;
  readonly dhPort: number;
  readonly searchPort: number;
  readonly quiet: boolean;
  readonly identityOffset: number;
  readonly videoKbps: number;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (name: string, fallback: string): string => {
    const at = argv.indexOf(name);
    return at >= 0 ? (argv[at + 1] ?? fallback) : fallback;
  };
  return {
    count: Number(value('--count', '1')),
    first: value('--first', '127.1.0.1'),
    dhPort: Number(value('--dh-port', '0')),
    searchPort: Number(value('--search-port', '0')),
    quiet: argv.includes('--quiet'),
    identityOffset: Number(value('--identity-offset', '0')),
    videoKbps: Number(value('--video-kbps', '0')),
  };
}

function write(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function cameraStats(emulator: CameraEmulator): EmulatorStats {
  return sumStats(emulator.cameras.map((camera) => camera.stats));
}

function videoFramesSent(emulator: CameraEmulator): number {
  return emulator.cameras.reduce((total, camera) => total + camera.stats.videoFramesSent, 0);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const emulator = await CameraEmulator.start({
    cameras: Array.from({ length: args.count }, (_, i) => ({
      ...defaultIdentity(args.identityOffset + i),
      videoBitrateKbps: args.videoKbps,
    })),
    firstAddress: args.first,
    dhPort: args.dhPort,
    searchPort: args.searchPort,
    broadcastAddress: '127.255.255.255',
  });
  const echo = dgram.createSocket('udp4');
  echo.on('message', (data, from) => echo.send(data, from.port, from.address));
  await new Promise<void>((resolve) => echo.bind(0, args.first, resolve));

  if (!args.quiet) {
    for (const camera of emulator.cameras) write({ type: 'camera', index: camera.index, ...camera.info() });
  }
  write({
    type: 'ready',
    pid: process.pid,
    count: emulator.cameras.length,
    dhPort: emulator.dhPort,
    searchPort: emulator.searchPort,
    echoAddress: args.first,
    echoPort: echo.address().port,
    openFileLimit: openFileLimit(),
  });

  let frozen: EmulatorStats | undefined;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    void handle(line);
  });
  lines.on('close', () => {
    void shutdown();
  });

  async function handle(line: string): Promise<void> {
    let request: { id?: unknown; cmd?: unknown; indices?: unknown };
    try {
      request = JSON.parse(line) as typeof request;
    } catch {
      return;
    }
    const id = request.id;
    const indices = Array.isArray(request.indices) ? request.indices.filter((i) => typeof i === 'number') : [];
    const cameras = indices.map((i) => emulator.camera(i)).filter((c) => c !== undefined);
    const cpu = process.cpuUsage();
    const common = { type: 'reply', id, cpuUs: cpu.user + cpu.system, rss: process.memoryUsage().rss };
    switch (request.cmd) {
      case 'stats':
        write({ ...common, stats: frozen ?? cameraStats(emulator), videoFramesSent: videoFramesSent(emulator) });
        return;
      case 'power-off':
        await Promise.all(cameras.map((c) => c.powerOff()));
        write({ ...common, at: Date.now() });
        return;
      case 'power-on':
        await Promise.all(cameras.map((c) => c.powerOn()));
        write({ ...common, at: Date.now() });
        return;
      case 'freeze':
        // Stops every camera (and so every ALIVE), keeping the final counters for `stats`.
        frozen ??= cameraStats(emulator);
        await emulator.close();
        frozen = cameraStats(emulator);
        write({ ...common, stats: frozen });
        return;
      case 'close':
        await shutdown();
        return;
      default:
        write({ ...common, error: `unknown command ${String(request.cmd)}` });
    }
  }

  async function shutdown(): Promise<void> {
    await emulator.close();
    echo.close();
    process.exit(0);
  }
}

main().catch((error: unknown) => {
  write({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
