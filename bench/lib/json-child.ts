import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT } from './emulator-process';

/**
 * A benchmark helper process (a .ts file run through tsx) driven over stdin/stdout with one JSON
 * object per line: it prints `{"type":"ready",...}` once, then answers every
 * `{"id":N,"cmd":"..."}` with `{"type":"reply","id":N,...}`. Closing its stdin ends it.
 */
export type JsonObject = Record<string, unknown>;

export class JsonChild {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: JsonObject) => void>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: JsonObject,
    lines: AsyncIterator<string>,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.pump(lines);
  }

  static async spawn(script: string, args: readonly string[]): Promise<JsonChild> {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const stdout = child.stdout;
    if (!stdout) throw new Error(`${script} has no stdout`);
    const lines = createInterface({ input: stdout })[Symbol.asyncIterator]();
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new Error(`${script} exited before it was ready`);
      const line = parseLine(next.value);
      if (line?.type === 'error') throw new Error(`${script}: ${String(line.message)}`);
      if (line?.type === 'ready') return new JsonChild(child, line, lines);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(cmd: string, args: JsonObject = {}): Promise<JsonObject> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const stdin = this.child.stdin;
      if (!stdin) return reject(new Error('child has no stdin'));
      this.waiting.set(id, (reply) =>
        typeof reply.error === 'string' ? reject(new Error(reply.error)) : resolve(reply),
      );
      stdin.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
    });
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
      if (next.done) {
        for (const resolve of this.waiting.values()) resolve({ error: 'child exited' });
        this.waiting.clear();
        return;
      }
      const line = parseLine(next.value);
      if (line?.type !== 'reply' || typeof line.id !== 'number') continue;
      const resolve = this.waiting.get(line.id);
      this.waiting.delete(line.id);
      resolve?.(line);
    }
  }
}

/** The child's side: prints `ready`, answers each request line with what `handle` returns. */
export function serveJsonLines(
  ready: JsonObject,
  handle: (cmd: string, request: JsonObject) => Promise<JsonObject>,
  onClose: () => Promise<void>,
): void {
  const write = (line: JsonObject): void => {
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  write({ type: 'ready', pid: process.pid, ...ready });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (text) => {
    const request = parseLine(text);
    if (!request) return;
    const id = request.id;
    handle(String(request.cmd), request).then(
      (reply) => write({ ...reply, type: 'reply', id }),
      (error: unknown) => write({ type: 'reply', id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  lines.on('close', () => {
    void onClose().finally(() => process.exit(0));
  });
}

/** Reports a failure to start on stdout (the parent is waiting for `ready`) and exits. */
export function failStart(error: unknown): never {
  process.stdout.write(
    `${JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error) })}\n`,
  );
  process.exit(1);
}

function parseLine(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
