// A child process that talks JSON lines: commands on stdin, events on stdout. The test waits on
// the events it expects; every line is kept so a failure can show what the child said.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

export type ChildMessage = { readonly type: string } & Record<string, unknown>;

export class JsonChild extends EventEmitter<{ message: [ChildMessage]; exit: [number | null] }> {
  readonly log: { atMs: number; message: ChildMessage }[] = [];
  private stderr = '';
  private exited = false;
  private readonly process: ChildProcess;
  readonly done: Promise<number | null>;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    cwd: string,
  ) {
    super();
    this.process = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.done = new Promise((resolve) => {
      this.process.once('exit', (code) => {
        this.exited = true;
        this.emit('exit', code);
        resolve(code);
      });
      this.process.once('error', (error) => {
        this.stderr += `spawn error: ${error.message}\n`;
        this.exited = true;
        this.emit('exit', null);
        resolve(null);
      });
    });
    const stdout = this.process.stdout;
    if (stdout) {
      createInterface({ input: stdout }).on('line', (line) => {
        let message: ChildMessage;
        try {
          message = JSON.parse(line) as ChildMessage;
        } catch {
          this.stderr += `stdout: ${line}\n`;
          return;
        }
        this.log.push({ atMs: performance.now(), message });
        this.emit('message', message);
      });
    }
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-8000);
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get diagnostics(): string {
    return `${this.name} said:\n${this.log.map((l) => JSON.stringify(l.message)).join('\n')}\nstderr:\n${this.stderr}`;
  }

  send(command: Record<string, unknown>): void {
    this.process.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Index to pass as `since` so only messages after this moment count. */
  mark(): number {
    return this.log.length;
  }

  /** The first message from `since` on that `accept`s, waiting for it if need be. */
  waitFor(accept: (m: ChildMessage) => boolean, guardMs = 15_000, since = 0): Promise<ChildMessage> {
    for (let i = since; i < this.log.length; i++) {
      const entry = this.log[i];
      if (entry && accept(entry.message)) return Promise.resolve(entry.message);
    }
    return new Promise((resolve, reject) => {
      const onMessage = (m: ChildMessage): void => {
        if (!accept(m)) return;
        cleanup();
        resolve(m);
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`${this.name} exited while waiting\n${this.diagnostics}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: timed out waiting\n${this.diagnostics}`));
      }, guardMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('message', onMessage);
        this.off('exit', onExit);
      };
      this.on('message', onMessage);
      if (this.exited) onExit();
      else this.on('exit', onExit);
    });
  }

  /** Asks the child to stop by closing its stdin; kills it (by its own pid) if it lingers. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exited) return;
    this.process.stdin?.end();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.done;
    clearTimeout(timer);
  }
}
