// Runs every test file under test/ with Node's own test runner, TypeScript loaded through tsx.
// `--only unit` runs the fast layers (wire, session, camera state machines) alone.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const unitFolders = ['wire', 'session', 'camera-machine'];

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...collect(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

let files = collect(join(root, 'test'));
if (only === 'unit') {
  files = files.filter((f) => unitFolders.includes(relative(join(root, 'test'), f).split('/')[0]));
}
const explicit = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--only');
if (explicit.length > 0) files = explicit;

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
