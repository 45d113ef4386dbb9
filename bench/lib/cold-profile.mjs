// Summarises the CPU profiles of `npm run bench -- --only cold --set profile=1`: self time per
// function within each run's scan -> 'connected' window, summed over the runs.
//   node bench/lib/cold-profile.mjs DIR [top]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 25);
const runs = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8'));
const self = new Map();
let total = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const pid = Number(file.split('.')[3]);
  const run = runs.find((r) => r.pid === pid);
  if (!run) continue;
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const from = run.originMonotonicUs;
  const to = from + run.connectedMs * 1000;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) return;
    const next = profile.timeDeltas[i + 1] ?? 0;
    const frame = nodes.get(id).callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(nodes|bench|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + next);
    total += next;
  });
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`window total ${(total / 1000).toFixed(1)} ms over ${runs.length} runs`);
for (const [key, us] of rows)
  console.log(`${(us / 1000).toFixed(2).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
