import { percentile } from './util';

/** Latency samples (ms) taken while a measurement window is open; outside it, nothing is kept. */
export class LatencyRecorder {
  private samples: number[] = [];
  recording = false;

  add(ms: number): void {
    if (this.recording) this.samples.push(ms);
  }

  begin(): void {
    this.samples = [];
    this.recording = true;
  }

  /** p50, p99 and the count since `begin`, and stops recording. */
  end(): { p50: number; p99: number; count: number } {
    this.recording = false;
    const { samples } = this;
    return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), count: samples.length };
  }
}
