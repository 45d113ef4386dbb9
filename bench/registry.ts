import { codecs } from './codecs';
import { cold } from './cold';
import { command } from './command';
import { curve } from './curve';
import { detection } from './detection';
import { discovery } from './discovery';
import { handshake } from './handshake';
import { idle } from './idle';
import { motion } from './motion';
import { nodered } from './nodered';
import { scale } from './scale';
import { startup } from './startup';
import { video } from './video';
import { type BenchOptions, type BenchResult } from './lib/report';

export interface Benchmark {
  readonly name: string;
  /** Its number in issue 6's list (1b: the Node-RED half of benchmark 1). */
  readonly label: string;
  readonly run: (options: BenchOptions) => Promise<BenchResult>;
}

/** In the order they run and appear in the table. */
export const BENCHMARKS: readonly Benchmark[] = [
  { name: 'handshake', label: '1', run: handshake },
  { name: 'nodered', label: '1b', run: nodered },
  { name: 'cold', label: '1c', run: cold },
  { name: 'startup', label: '1d', run: startup },
  { name: 'scale', label: '2', run: scale },
  { name: 'curve', label: '2b', run: curve },
  { name: 'discovery', label: '3', run: discovery },
  { name: 'codecs', label: '4', run: codecs },
  { name: 'detection', label: '5', run: detection },
  { name: 'idle', label: '6', run: idle },
  { name: 'command', label: '10a', run: command },
  { name: 'motion', label: '10b', run: motion },
  { name: 'video', label: '11', run: video },
];
