import {
  EmulatorProcess,
  type EmulatedCameraInfo,
  type EmulatorStats,
  addAddress,
  hardFileLimit,
} from './emulator-process';
import { sumStats } from './emulator-stats';
import { freePort } from './util';

/** Sockets per emulated camera (DH, search, session) and a margin for everything else. */
const FDS_PER_CAMERA = 3;
const FD_MARGIN = 256;
const MAX_PER_PROCESS = 5000;

/**
 * N emulated cameras spread over as many child processes as the open-file limit needs, all on
 * one shared DH port and one shared search port (the cameras bind them with SO_REUSEADDR, so
 * several processes can), at consecutive addresses from `first`.
 */
export class CameraFleet {
  private constructor(
    readonly processes: readonly EmulatorProcess[],
    readonly dhPort: number,
    readonly searchPort: number,
    readonly perProcess: number,
  ) {}

  static async start(count: number, first: string): Promise<CameraFleet> {
    const hard = await hardFileLimit();
    const perProcess = Math.max(1, Math.min(MAX_PER_PROCESS, Math.floor((hard - FD_MARGIN) / FDS_PER_CAMERA)));
    const dhPort = await freePort();
    const searchPort = await freePort();
    const processes: EmulatorProcess[] = [];
    try {
      for (let offset = 0; offset < count; offset += perProcess) {
        processes.push(
          await EmulatorProcess.spawn({
            count: Math.min(perProcess, count - offset),
            first: addAddress(first, offset),
            identityOffset: offset,
            dhPort,
            searchPort,
          }),
        );
      }
    } catch (error) {
      await Promise.all(processes.map((p) => p.close()));
      throw error;
    }
    return new CameraFleet(processes, dhPort, searchPort, perProcess);
  }

  get cameras(): EmulatedCameraInfo[] {
    return this.processes.flatMap((p) => p.cameras);
  }

  async stats(): Promise<EmulatorStats> {
    return sumStats(await Promise.all(this.processes.map((p) => p.stats())));
  }

  async freeze(): Promise<EmulatorStats> {
    return sumStats(await Promise.all(this.processes.map((p) => p.freeze())));
  }

  /** CPU time of every emulator process so far, in microseconds. */
  async cpuMicros(): Promise<number> {
    const replies = await Promise.all(this.processes.map((p) => p.request('cpu')));
    return replies.reduce((total, r) => total + r.cpuUs, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.close()));
  }
}

export function delta(after: EmulatorStats, before: EmulatorStats): EmulatorStats {
  const out = { ...after };
  for (const key of Object.keys(out) as (keyof EmulatorStats)[]) out[key] = after[key] - before[key];
  return out;
}
