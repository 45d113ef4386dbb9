import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * CPU profiles of one window inside a benchmark's own process (`--set profile=1`), through the
 * inspector: only the steady window is sampled, not the connecting or the baseline around it.
 * The profile is written for a flame-graph viewer (Chrome DevTools, speedscope) and summarised as
 * the functions with the most self time, the text the benchmark notes carry.
 */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export class WindowProfiler {
  private readonly session = new Session();

  constructor(intervalUs = 100) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.setSamplingInterval', { interval: intervalUs });
  }

  start(): Promise<unknown> {
    return this.post('Profiler.start');
  }

  /** Stops, writes `DIR/NAME.cpuprofile` and returns the top `top` frames by self time. */
  async stop(dir: string, name: string, top = 12): Promise<string[]> {
    const { profile } = (await this.post('Profiler.stop')) as { profile: CpuProfile };
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    return summarise(profile, top);
  }

  close(): void {
    this.session.disconnect();
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
    });
  }
}

/** Self time per function as a share of the busy (not idle) samples, "share% name file:line", most first. */
export function summarise(profile: CpuProfile, top: number): string[] {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const file = frame.url.replace(/^.*\/(nodes|bench|node_modules)\//, '$1/').replace(/^node:/, '');
    const key = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => `${((100 * us) / total).toFixed(1)}% ${key}`);
}
