import { type ChildProcessByStdio, spawn } from 'node:child_process';
import {
  rmSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable } from 'node:stream';
import { CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import { type CameraConfig } from '../../nodes/camera/config';

/**
 * Shared pieces of the end-to-end tests: real Node-RED processes (started the way `npm start`
 * starts it), their admin API, their log, and what they hold in /proc. Every wait is on a log
 * line, an event or an HTTP poll, with a guard that fails the test instead of hanging it.
 */

export const root = join(__dirname, '..', '..');
export const MODULE = 'node-red-contrib-vstarcam-p2p';
export const NODE_TYPES = [
  'vstar-network',
  'vstar-camera',
  'vstar-discover',
  'vstar-session',
  'vstar-heartbeat',
  'vstar-command',
  'vstar-motion',
  'vstar-snapshot',
  'vstar-stream',
] as const;
/** Only a guard against a hang: Node-RED starts in 2-3 s on two cores. */
export const START_GUARD_MS = 30_000;

/** The e2e tests run the compiled package; `npm test` builds it first. */
export function requireDist(): void {
  const missing = ['vstar-network.js', 'camera/cli.js'].filter((f) => !existsSync(join(root, 'dist', f)));
  if (missing.length > 0) {
    throw new Error(
      `dist/ is not built (missing dist/${missing.join(', dist/')}): run \`npm run build\` first ` +
        '(`npm test` builds before it runs the tests).',
    );
  }
}

/** A TCP port nobody holds right now on 127.0.0.1: listened on at 0, then freed. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls `probe` every `intervalMs` until it returns something other than undefined. */
export async function waitUntil<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: () => string,
  guardMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + guardMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${guardMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The settings `npm start` writes (scripts/demo.mjs): loopback only, nothing fetched from outside. */
export function settingsJs(port: number): string {
  return `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: false,
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  editorTheme: { tours: false, palette: { catalogues: [] } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;
}

/** A Node-RED user directory with the settings above, an empty flow and, if asked, this checkout linked in. */
export function userDirectory(prefix: string, port: number, linkCheckout: boolean): string {
  const dir = tempDir(prefix);
  mkdirSync(join(dir, 'node_modules'));
  if (linkCheckout) symlinkSync(root, join(dir, 'node_modules', MODULE), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'vstar-e2e', private: true }, null, 2));
  writeFileSync(join(dir, 'flows.json'), '[]');
  writeFileSync(join(dir, 'settings.js'), settingsJs(port));
  return dir;
}

type Piped = ChildProcessByStdio<null, Readable, Readable>;

/**
 * A child process in a process group of its own (so a test can always kill it and everything it
 * started), its stdout and stderr gathered line by line, with waits on lines.
 */
export class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();
  private partial = { stdout: '', stderr: '' };

  constructor(
    readonly name: string,
    readonly process: Piped,
  ) {
    const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = this.partial[stream] + chunk.toString();
      const parts = text.split('\n');
      this.partial[stream] = parts.pop() ?? '';
      if (parts.length === 0) return;
      this.lines.push(...parts);
      for (const wake of [...this.waiters]) wake();
    };
    process.stdout.on('data', take('stdout'));
    process.stderr.on('data', take('stderr'));
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        for (const stream of ['stdout', 'stderr'] as const) {
          if (this.partial[stream] !== '') this.lines.push(this.partial[stream]);
          this.partial[stream] = '';
        }
        resolve({ code, signal });
        for (const wake of [...this.waiters]) wake();
      });
    });
  }

  static spawn(name: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Child {
    const child = spawn(process.execPath, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new Child(name, child);
  }

  get pid(): number {
    const pid = this.process.pid;
    if (pid === undefined) throw new Error(`${this.name} did not start`);
    return pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The last lines, for failure messages. */
  tail(count = 60): string {
    return this.lines.slice(-count).join('\n');
  }

  /** Resolves with the first line from index `from` on that matches; rejects on exit or after the guard. */
  waitForLine(pattern: RegExp, guardMs = START_GUARD_MS, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      let checked = from;
      const finish = (error?: Error, line?: string): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(line ?? '');
      };
      const check = (): void => {
        for (; checked < this.lines.length; checked++) {
          const line = this.lines[checked] ?? '';
          if (pattern.test(line)) {
            finish(undefined, line);
            return;
          }
        }
        if (!this.running) finish(new Error(`${this.name} exited before printing ${pattern}:\n${this.tail()}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${this.name} printed no ${pattern} within ${guardMs} ms:\n${this.tail()}`)),
        guardMs,
      );
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves once the child has exited (guarded). */
  async waitExit(guardMs = 15_000): Promise<{ code: number | null; signal: string | null }> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} did not exit within ${guardMs} ms:\n${this.tail()}`)),
        guardMs,
      );
    });
    try {
      return await Promise.race([this.exited, guard]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` to the child alone (not its group) and resolves once it has exited (guarded). */
  signalAndWait(signal: NodeJS.Signals, guardMs = 15_000): Promise<{ code: number | null; signal: string | null }> {
    if (this.running) this.process.kill(signal);
    return this.waitExit(guardMs);
  }

  /** The safety net for after(): SIGKILL to the whole process group, whatever state it is in. */
  async killGroup(): Promise<void> {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    if (this.running) await this.exited;
  }
}

/** Starts Node-RED as `npm start` does: this repo's node_modules/node-red, a user dir and its settings. */
export function startNodeRed(userDir: string): Child {
  return Child.spawn(
    'Node-RED',
    [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', join(userDir, 'settings.js')],
    { cwd: userDir },
  );
}

/** Log lines that mean something went wrong inside Node-RED. */
export function problemLines(lines: readonly string[]): string[] {
  return lines.filter((line) => /\[error\]|EADDRINUSE|unhandled|uncaught|TypeError|ReferenceError/i.test(line));
}

/** A small client for Node-RED's admin HTTP API on 127.0.0.1. */
export class Admin {
  constructor(readonly port: number) {}

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async getJson(path: string): Promise<unknown> {
    const response = await fetch(this.url(path), { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }

  /** POST /flows with a deployment type; resolves once Node-RED has answered (the deploy is done). */
  async deploy(flows: readonly object[], type: 'full' | 'nodes' | 'flows'): Promise<void> {
    const response = await fetch(this.url('/flows'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': type },
      body: JSON.stringify(flows),
    });
    if (!response.ok) throw new Error(`POST /flows (${type}): HTTP ${response.status} ${await response.text()}`);
  }

  /** Polls GET /settings until the admin API answers. */
  ready(guardMs = START_GUARD_MS): Promise<true> {
    return waitUntil(
      async () => {
        try {
          return (await fetch(this.url('/settings'), { headers: { Accept: 'application/json' } })).ok
            ? true
            : undefined;
        } catch {
          return undefined;
        }
      },
      () => `the admin API on port ${this.port}`,
      guardMs,
    );
  }
}

/** One entry of GET /nodes (Accept: application/json). */
export interface NodeSet {
  readonly id: string;
  readonly name: string;
  readonly module: string;
  readonly types: readonly string[];
  readonly enabled: boolean;
  readonly version?: string;
  readonly err?: unknown;
}

export function isNodeSetList(value: unknown): value is NodeSet[] {
  return (
    Array.isArray(value) &&
    value.every((v: unknown) => typeof v === 'object' && v !== null && 'module' in v && 'types' in v)
  );
}

/** Our module's node sets from GET /nodes, by type. */
export async function ourNodeSets(admin: Admin): Promise<Map<string, NodeSet>> {
  const list = await admin.getJson('/nodes');
  if (!isNodeSetList(list)) throw new Error(`GET /nodes did not return a list of node sets: ${JSON.stringify(list)}`);
  const sets = new Map<string, NodeSet>();
  for (const set of list.filter((s) => s.module === MODULE)) {
    for (const type of set.types) sets.set(type, set);
  }
  return sets;
}

// ---- /proc: child processes and UDP sockets ----

/** Pids of the live direct children of `pid`, read from /proc/<n>/stat. */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat && stat.ppid === pid && stat.state !== 'Z') found.push(Number(name));
  }
  return found;
}

/** State and parent of a process, or undefined once it is gone. */
export function procStat(pid: number): { state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', ppid: Number(fields[1]) };
}

/** A process is gone once /proc has no entry for it, or only a zombie waiting to be reaped. */
export function isGone(pid: number): boolean {
  const stat = procStat(pid);
  return stat === undefined || stat.state === 'Z';
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Inodes of every UDP (IPv4 and IPv6) socket in this network namespace. */
function udpInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const inode = row.trim().split(/\s+/)[9];
      if (inode !== undefined && inode !== '0') inodes.add(inode);
    }
  }
  return inodes;
}

/** How many UDP sockets the process holds open: its `socket:[inode]` fds that /proc/net/udp lists. */
export function udpSocketCount(pid: number): number {
  const udp = udpInodes();
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined && udp.has(inode)) count++;
  }
  return count;
}

/**
 * One emulated camera on `address` and a real Node-RED process with this checkout, started on a
 * free port and ready for its admin API: the set-up of the e2e tests that drive one camera.
 * `stop()` ends both and removes the user directory.
 */
export async function nodeRedWithOneCamera(
  prefix: string,
  address: string,
  camera: Partial<CameraConfig>,
): Promise<{ red: Child; admin: Admin; emu: CameraEmulator; camera: EmulatedCamera; stop: () => Promise<void> }> {
  requireDist();
  const emu = await CameraEmulator.start({
    cameras: [camera],
    firstAddress: address,
    dhPort: 0,
    searchPort: 0,
    broadcastAddress: '127.255.255.255',
  });
  const first = emu.cameras[0];
  if (!first) throw new Error('the emulator started no camera');
  const port = await freeTcpPort();
  const userDir = userDirectory(prefix, port, true);
  const admin = new Admin(port);
  const red = startNodeRed(userDir);
  const stop = async (): Promise<void> => {
    await red.killGroup();
    await emu.close();
    rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await red.waitForLine(/Started flows/);
    await admin.ready();
  } catch (error) {
    await stop();
    throw error;
  }
  return { red, admin, emu, camera: first, stop };
}
