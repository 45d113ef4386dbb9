/**
 * Measures one codec case in a fresh process, so no other measurement's type feedback, deopts
 * or garbage can bias it (in one process the cipher measured ~40 % slower after the others).
 */
import { performance } from 'node:perf_hooks';
import { CODEC_CASES } from './codec-cases';

/** Keeps results alive so the optimiser cannot drop the work. */
let sink = 0;

function run(op: () => number, limitMs: number): number {
  const batch = 200;
  let ops = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < limitMs) {
    for (let i = 0; i < batch; i++) sink += op();
    ops += batch;
    elapsed = performance.now() - t0;
  }
  return (ops / elapsed) * 1000;
}

const name = process.argv[2];
const seconds = Number(process.argv[3] ?? '1');
// Many short slices, best of each kind: on a shared machine some slice of each runs undisturbed.
const repeats = 9;
const found = CODEC_CASES.find((c) => c.name === name);
if (!found) throw new Error(`no codec case ${String(name)}`);
const sliceMs = (seconds * 1000) / (2 * repeats);
run(found.op, sliceMs / 2);
run(found.baseline, sliceMs / 2);
let op = 0;
let baseline = 0;
// Interleaved, best of each: machine noise only ever slows a slice down.
for (let r = 0; r < repeats; r++) {
  op = Math.max(op, run(found.op, sliceMs));
  baseline = Math.max(baseline, run(found.baseline, sliceMs));
}
process.send?.({ name, op, baseline, sink: sink % 997 });
