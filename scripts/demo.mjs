// `npm start`: a real Node-RED with this package, three emulated cameras on loopback and the demo
// flow from examples/. Every datagram stays on 127.0.0.0/8. Ctrl-C stops everything.
//
// Environment (all optional):
//   PORT                     Node-RED's HTTP port on 127.0.0.1 (default 1880)
//   VSTAR_DEMO_DIR           Node-RED user directory (default .demo/ in this checkout)
//   VSTAR_DEMO_REBOOT_EVERY  seconds between reboots of camera 1 (default 30; 0 = never)
//   VSTAR_DEMO_FLOW          flow file to deploy instead of examples/demo-with-emulator.json
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const uiHost = '127.0.0.1';
const userDir = resolve(process.env.VSTAR_DEMO_DIR ?? join(root, '.demo'));
const uiPort = integerSetting('PORT', 1880, 1, 65535);
const rebootEvery = integerSetting('VSTAR_DEMO_REBOOT_EVERY', 30, 0, 24 * 3600);
const flowFile = resolve(process.env.VSTAR_DEMO_FLOW ?? join(root, 'examples', 'demo-with-emulator.json'));
/** The emulator's well-known ports (vstar-sim defaults), as real cameras use them. */
const cameraPorts = [8600, 32108];

function integerSetting(name, fallback, min, max) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    console.error(`[demo] ${name}=${text} is not valid: give an integer from ${min} to ${max}.`);
    process.exit(2);
  }
  return value;
}

if (!existsSync(join(root, 'dist', 'vstar-network.js'))) {
  console.error('[demo] dist/ is missing: run `npm run build` first (npm start does it through prestart).');
  process.exit(1);
}
if (!existsSync(flowFile)) {
  console.error(`[demo] flow file ${flowFile} does not exist.`);
  process.exit(1);
}

/** Resolves with an error code ('EADDRINUSE', ...) if the TCP port cannot be listened on, else undefined. */
function tcpPortProblem(host, port) {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (err) => done(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(undefined)));
  });
}

/**
 * Same for UDP, bound without SO_REUSEADDR: that fails while any socket (even a reuse one, such as
 * another vstar-sim's) holds the port, where the emulator's own reuse binds would quietly share it.
 */
function udpPortProblem(port) {
  return new Promise((done) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    socket.once('error', (err) => {
      socket.close();
      done(err.code ?? err.message);
    });
    socket.bind(port, '0.0.0.0', () => socket.close(() => done(undefined)));
  });
}

const uiProblem = await tcpPortProblem(uiHost, uiPort);
if (uiProblem !== undefined) {
  console.error(
    uiProblem === 'EADDRINUSE'
      ? `[demo] port ${uiPort} on ${uiHost} is already in use (another Node-RED, or another \`npm start\`?).\n` +
          `       Stop it, or run the demo on another port: PORT=${uiPort === 1880 ? 1881 : 1880} npm start`
      : `[demo] cannot listen on ${uiHost}:${uiPort} (${uiProblem}).`,
  );
  process.exit(1);
}
for (const port of cameraPorts) {
  const problem = await udpPortProblem(port);
  if (problem !== undefined) {
    console.error(
      problem === 'EADDRINUSE'
        ? `[demo] UDP port ${port} is already in use (another \`npm start\` or vstar-sim, or a camera app?).\n` +
            '       The emulated cameras need it: stop that program first.'
        : `[demo] cannot bind UDP port ${port} (${problem}).`,
    );
    process.exit(1);
  }
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
  uiHost: '${uiHost}',
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
writeFileSync(join(userDir, 'flows.json'), readFileSync(flowFile));

const children = [];
let stopping = false;

function start(name, args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[demo] ${name} exited (${signal ?? code}); stopping.`);
      stop(1);
    }
  });
  return child;
}

function alive() {
  return children.filter((c) => c.exitCode === null && c.signalCode === null);
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  const running = alive();
  if (running.length === 0) process.exit(code);
  let left = running.length;
  for (const child of running) {
    // 'close', not 'exit': the child's last lines ("Stopped flows") are still in the pipe at exit.
    child.once('close', () => {
      if (--left === 0) process.exit(code);
    });
    child.kill('SIGTERM');
  }
  setTimeout(() => {
    for (const child of alive()) child.kill('SIGKILL');
    process.exit(code);
  }, 5000).unref();
}

// Ctrl-C in a terminal signals the whole group (Node-RED and vstar-sim stop by themselves too);
// `kill <pid>` signals only this process: either way every child is stopped and awaited.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));
// Last resort if this script dies on an unexpected error: leave no orphan behind.
process.on('exit', () => {
  for (const child of alive()) child.kill('SIGKILL');
});

const sim = start('vstar-sim', [
  join(root, 'dist', 'camera', 'cli.js'),
  '--count',
  '3',
  '--address',
  '127.0.0.2',
  '--broadcast',
  '127.255.255.255',
  '--dh-port',
  String(cameraPorts[0]),
  '--search-port',
  String(cameraPorts[1]),
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
  // Ctrl-C while the cameras were starting: do not start what nobody would stop.
  if (stopping) return;
  const red = start('Node-RED', [
    require.resolve('node-red/red.js'),
    '--userDir',
    userDir,
    '--settings',
    join(userDir, 'settings.js'),
  ]);
  let announced = false;
  const lines = createInterface({ input: red.stdout });
  lines.on('line', (line) => {
    console.log(`[node-red] ${line}`);
    if (line.includes('Started flows') && !announced) {
      announced = true;
      console.log(`\n  Node-RED is running with three emulated cameras: http://${uiHost}:${uiPort}/`);
      console.log('  Open the debug sidebar to watch discovery, sessions and heartbeats. Ctrl-C stops everything.\n');
    }
  });
  red.stderr.on('data', (chunk) => process.stderr.write(`[node-red] ${chunk}`));
}
