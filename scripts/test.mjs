// Runs every test file under test/ with Node's own test runner, TypeScript loaded through tsx.
// `--only unit` runs the fast layers (wire, session, camera state machines) alone.
// When the run ends the console gets one line per file, the details of failures and the summary
// (scripts/test-reporter.mjs); the complete spec report goes to .tmp/test-report.txt.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const unitFolders = ['wire', 'session', 'camera-machine', 'video', 'commands'];

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

const fullReport = join(root, '.tmp', 'test-report.txt');
mkdirSync(dirname(fullReport), { recursive: true });
// Tests that mock timers (t.mock.timers) make Node print an ExperimentalWarning in every run;
// the flag (Node 20.11+) passes on to the test files' processes.
const quiet = process.allowedNodeEnvironmentFlags.has('--disable-warning')
  ? ['--disable-warning=ExperimentalWarning']
  : [];
console.log(`Running ${files.length} test files; the complete report goes to ${relative(process.cwd(), fullReport)}`);
const result = spawnSync(
  process.execPath,
  [
    ...quiet,
    '--import',
    'tsx',
    '--test',
    `--test-reporter=${pathToFileURL(join(root, 'scripts', 'test-reporter.mjs')).href}`,
    '--test-reporter-destination=stdout',
    '--test-reporter=spec',
    `--test-reporter-destination=${fullReport}`,
    '--test-concurrency=2',
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
