import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type EmulatorStats } from './emulator-stats';

/** The parent's handle on one emulated-camera process (bench/lib/emulator-child.ts). */

export const ROOT = join(__dirname, '..', '..');

export interface EmulatedCameraInfo {
  readonly index: number;
  readonly uid: string;
  readonly did: string;
  readonly ip: string;
  readonly sessionPort: number;
}

export type { EmulatorStats };

export interface EmulatorReply {
  readonly id: number;
  readonly cpuUs: number;
  readonly rss: number;
  readonly at?: number;
  readonly stats?: EmulatorStats;
  /** With `stats`: video frames every camera of the process played so far. */
  readonly videoFramesSent?: number;
  readonly error?: string;
}

export interface EmulatorReady {
  readonly pid: number;
  readonly count: number;
  readonly dhPort: number;
  readonly searchPort: number;
  readonly echoAddress: string;
  readonly echoPort: number;
  readonly openFileLimit: number | undefined;
}

export interface EmulatorSpawnOptions {
  readonly count: number;
  /** 127.x address of camera 0; the others count up from it. */
  readonly first: string;
  readonly dhPort?: number;
  readonly searchPort?: number;
  /** Skip the per-camera lines (large N). */
  readonly quiet?: boolean;
  /**
   * Camera i gets the generated identity (UID, MAC) of camera `identityOffset + i`: processes of one
   * fleet must not repeat each other's UIDs, or the engine sees two cameras with one UID.
   */
  readonly identityOffset?: number;
  /** Ask the shell to raise the open-file limit (3 sockets per camera). */
  readonly fileLimit?: number;
  /** Pad every camera's video to this bitrate (kbit/s); 0 = the clip as it is. */
  readonly videoKbps?: number;
}

type Command = 'stats' | 'cpu' | 'power-off' | 'power-on' | 'freeze';

export class EmulatorProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: EmulatorReply) => void>();
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: EmulatorReady,
    readonly cameras: readonly EmulatedCameraInfo[],
    lines: AsyncIterator<string>,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.pump(lines);
  }

  static async spawn(options: EmulatorSpawnOptions): Promise<EmulatorProcess> {
    const args = [
      '--import',
      'tsx',
      join(ROOT, 'bench', 'lib', 'emulator-child.ts'),
      '--count',
      String(options.count),
      '--first',
      options.first,
      '--identity-offset',
      String(options.identityOffset ?? 0),
      '--dh-port',
      String(options.dhPort ?? 0),
      '--search-port',
      String(options.searchPort ?? 0),
      ...(options.quiet ? ['--quiet'] : []),
      ...(options.videoKbps ? ['--video-kbps', String(options.videoKbps)] : []),
    ];
    const limit = options.fileLimit ?? 65536;
    // Raise the soft fd limit as far as the hard limit (and CAP_SYS_RESOURCE) allows, then exec node.
    const script = `ulimit -n ${limit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
    const child = spawn('sh', ['-c', script, process.execPath, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const stdout = child.stdout;
    if (!stdout) throw new Error('emulator child has no stdout');
    const lines = createInterface({ input: stdout })[Symbol.asyncIterator]();
    const cameras: EmulatedCameraInfo[] = [];
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new Error('emulator child exited before it was ready');
      const line = parseLine(next.value);
      if (!line) continue;
      if (line.type === 'camera') cameras.push(line as unknown as EmulatedCameraInfo);
      else if (line.type === 'error') throw new Error(`emulator child: ${String(line.message)}`);
      else if (line.type === 'ready')
        return new EmulatorProcess(child, line as unknown as EmulatorReady, cameras, lines);
    }
  }

  request(cmd: Command, indices: readonly number[] = []): Promise<EmulatorReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, resolve);
      const stdin = this.child.stdin;
      if (!stdin) return reject(new Error('emulator child has no stdin'));
      stdin.write(`${JSON.stringify({ id, cmd, indices })}\n`);
    });
  }

  async stats(): Promise<EmulatorStats> {
    const reply = await this.request('stats');
    if (!reply.stats) throw new Error('emulator sent no stats');
    return reply.stats;
  }

  /** Stops every camera in the child (so no more ALIVEs) and returns the final counters. */
  async freeze(): Promise<EmulatorStats> {
    const reply = await this.request('freeze');
    if (!reply.stats) throw new Error('emulator sent no stats');
    return reply.stats;
  }

  async close(): Promise<void> {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  private async pump(lines: AsyncIterator<string>): Promise<void> {
    for (;;) {
      const next = await lines.next();
      if (next.done) return;
      const line = parseLine(next.value);
      if (line?.type !== 'reply' || typeof line.id !== 'number') continue;
      const resolve = this.waiting.get(line.id);
      this.waiting.delete(line.id);
      resolve?.(line as unknown as EmulatorReply);
    }
  }
}

function parseLine(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `first` plus `offset`, counting across octets (127.1.0.1 + 300 = 127.1.1.45). */
export function addAddress(first: string, offset: number): string {
  const parts = first.split('.').map(Number);
  const value = (((parts[0] ?? 0) << 24) >>> 0) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0);
  const next = value + offset;
  return [next >>> 24, (next >>> 16) & 0xff, (next >>> 8) & 0xff, next & 0xff].join('.');
}

/** Largest soft open-file limit a child can get: the hard limit, asked of the shell. */
export async function hardFileLimit(): Promise<number> {
  const child = spawn('sh', ['-c', 'ulimit -Hn'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const value = out.trim();
  return value === 'unlimited' ? 1 << 20 : Number(value) || 1024;
}
