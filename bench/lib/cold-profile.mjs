// Summarises the CPU profiles of `npm run bench -- --only cold --set profile=1`: self time per
// function within each run's scan -> 'connected' window, summed over the runs, then the same cut
// by step (scan -> probe out, probe -> reply in, reply -> 'discovered', ...), where a function
// with no script of its own (a Node internal) is shown with the nearest caller of ours.
// Only each process's main thread counts (the loader thread of `--import tsx` writes a second profile).
//   node bench/lib/cold-profile.mjs DIR [top]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 25);
const runs = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8'));
const DH = 0x4448;
const PUNCH = 0xf141;
const READY = 0xf142;
const SEARCH = 0xf130;
const total = new Map();
const steps = new Map();
let windowUs = 0;
let profiled = 0;

/** Step boundaries (ms from the scan's start) from the run's datagrams, as bench/cold.ts cuts them. */
function boundaries(run) {
  const first = (match) => run.datagrams.find(match)?.t ?? NaN;
  return [
    ['scan -> probe out', 0],
    ['probe out -> reply in', first((d) => d.dir === 'out')],
    ["reply in -> 'discovered'", first((d) => d.dir === 'in' && d.head === DH)],
    ["'discovered' -> LAN_SEARCH out", run.discoveredMs],
    ['LAN_SEARCH out -> PUNCH in', first((d) => d.dir === 'out' && d.head === SEARCH)],
    ['PUNCH in -> echo out', first((d) => d.dir === 'in' && d.head === PUNCH)],
    ['echo out -> P2P_RDY in', first((d) => d.dir === 'out' && d.head === PUNCH)],
    ["P2P_RDY in -> 'connected'", first((d) => d.dir === 'in' && d.head === READY)],
    ['end', run.connectedMs],
  ];
}

const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
const ours = (url) => /\/(nodes|bench)\//.test(url);
const short = (frame) =>
  `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(nodes|bench|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`;

// CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread.
for (const file of readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))) {
  const pid = Number(file.split('.')[3]);
  const run = runs.find((r) => r.pid === pid);
  if (!run) continue;
  profiled++;
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const label = (id) => {
    const frame = nodes.get(id).callFrame;
    if (ours(frame.url)) return short(frame);
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const caller = nodes.get(up).callFrame;
      if (ours(caller.url)) return `${short(frame)} < ${short(caller)}`;
    }
    return short(frame);
  };
  const marks = boundaries(run);
  const from = run.originMonotonicUs;
  const to = from + run.connectedMs * 1000;
  windowUs += to - from;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) return;
    const us = profile.timeDeltas[i + 1] ?? 0;
    const key = label(id);
    add(total, key, us);
    const ms = (t - from) / 1000;
    const step = marks.findLast(([, at], k) => k < marks.length - 1 && ms >= at);
    if (step) add(steps.get(step[0]) ?? steps.set(step[0], new Map()).get(step[0]), key, us);
  });
}

const print = (map, count) => {
  const sum = [...map.values()].reduce((a, b) => a + b, 0);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count))
    console.log(`${(us / 1000).toFixed(2).padStart(8)} ms ${((100 * us) / sum).toFixed(1).padStart(5)}%  ${key}`);
  return sum;
};
console.log(`window total ${(windowUs / 1000).toFixed(1)} ms over ${profiled} runs (main threads)`);
print(total, top);
for (const [, [name]] of boundaries({ datagrams: [], discoveredMs: 0, connectedMs: 0 }).slice(0, -1).entries()) {
  const map = steps.get(name);
  if (!map) continue;
  const sum = [...map.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${name}: ${(sum / 1000).toFixed(2)} ms over ${profiled} runs`);
  print(map, Math.min(top, 10));
}
