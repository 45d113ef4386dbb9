// `npm start`: a real Node-RED with this package, three emulated cameras on loopback and the demo
// flow from examples/. Every datagram stays on 127.0.0.0/8. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const userDir = process.env.VSTAR_DEMO_DIR ?? join(root, '.demo');
const uiPort = Number(process.env.PORT ?? 1880);
const rebootEvery = Number(process.env.VSTAR_DEMO_REBOOT_EVERY ?? 30);

if (!existsSync(join(root, 'dist', 'vstar-network.js'))) {
  console.error('dist/ is missing: run `npm run build` first (npm start does it through prestart).');
  process.exit(1);
}

// A user directory of our own, with this checkout linked in as an installed module.
mkdirSync(join(userDir, 'node_modules'), { recursive: true });
const link = join(userDir, 'node_modules', 'node-red-contrib-vstarcam-p2p');
rmSync(link, { recursive: true, force: true });
symlinkSync(root, link, 'dir');
writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'vstar-demo', private: true }, null, 2));
writeFileSync(
  join(userDir, 'settings.js'),
  `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${uiPort},
  flowFile: 'flows.json',
  credentialSecret: false,
  // The demo reaches nothing outside this machine: no palette catalogue, no update check.
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  editorTheme: { tours: false, palette: { catalogues: [] } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
);
writeFileSync(join(userDir, 'flows.json'), readFileSync(join(root, 'examples', 'demo-with-emulator.json')));

const children = [];
let stopping = false;

function start(name, args, options = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[demo] ${name} exited (${signal ?? code}); stopping.`);
      stop(1);
    }
  });
  return child;
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (alive.length === 0) process.exit(code);
  let left = alive.length;
  for (const child of alive) {
    child.once('exit', () => {
      if (--left === 0) process.exit(code);
    });
    child.kill('SIGTERM');
  }
  setTimeout(() => {
    for (const child of alive) child.kill('SIGKILL');
    process.exit(code);
  }, 5000).unref();
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const sim = start('vstar-sim', [
  join(root, 'dist', 'camera', 'cli.js'),
  '--count',
  '3',
  '--address',
  '127.0.0.2',
  '--broadcast',
  '127.255.255.255',
  '--reboot-every',
  String(rebootEvery),
]);
sim.stderr.on('data', (chunk) => process.stderr.write(`[vstar-sim] ${chunk}`));
const simLines = createInterface({ input: sim.stdout });
simLines.on('line', (line) => {
  if (line === 'ready') {
    startNodeRed();
    return;
  }
  try {
    const info = JSON.parse(line);
    if (info.event === 'reboot') console.log(`[vstar-sim] ${info.did} rebooted: HTTP port ${info.httpPort}`);
    else console.log(`[vstar-sim] camera ${info.did} on ${info.ip}, HTTP port ${info.httpPort}`);
  } catch {
    console.log(`[vstar-sim] ${line}`);
  }
});

function startNodeRed() {
  const red = start('Node-RED', [
    require.resolve('node-red/red.js'),
    '--userDir',
    userDir,
    '--settings',
    join(userDir, 'settings.js'),
  ]);
  const lines = createInterface({ input: red.stdout });
  lines.on('line', (line) => {
    console.log(`[node-red] ${line}`);
    if (line.includes('Started flows')) {
      console.log(`\n  Node-RED is running with three emulated cameras: http://127.0.0.1:${uiPort}/`);
      console.log('  Open the debug sidebar to watch discovery, sessions and heartbeats. Ctrl-C stops everything.\n');
    }
  });
  red.stderr.on('data', (chunk) => process.stderr.write(`[node-red] ${chunk}`));
}
