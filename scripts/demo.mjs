// `npm start`: a real Node-RED with this package, an emulated LAN of cameras on loopback
// (dist/camera/demo-lan.js, in this process) and the demo flow from examples/. Every datagram
// stays on 127.0.0.0/8. Ctrl-C stops everything.
//
// The LAN loops on a 45 s script (a visitor with a new UID, a clone of camera 3, a power cut on
// camera 1), so whoever opens the editor, whenever, sees every event within a minute.
//
// The user's flows are kept: flows.json is written on the first start, on `--reset`, or when it
// is still the unchanged demo flow of an earlier version. The emulated cameras listen on the UDP
// ports the flow's network node names, so a second demo (another PORT) gets its own directory and
// its own camera ports, and the two never hear each other.
//
// Command line: `npm start -- --reset` replaces flows.json with the demo flow (the old one is
// kept as flows.json.before-reset).
// Environment (all optional):
//   PORT                     Node-RED's HTTP port on 127.0.0.1 (default 1880)
//   VSTAR_DEMO_DIR           Node-RED user directory (default .demo/, or .demo/port-<PORT> when PORT is not 1880)
//   VSTAR_DEMO_RESET         1: same as --reset
//   VSTAR_DEMO_FLOW          flow file to deploy instead of examples/demo-with-emulator.json
//   VSTAR_DEMO_REBOOT_EVERY  0: steady cameras, no script (for screenshots); other values are ignored
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const uiHost = '127.0.0.1';
const DEFAULT_UI_PORT = 1880;
const uiPort = integerSetting('PORT', DEFAULT_UI_PORT, 1, 65535);
const userDir = resolve(
  process.env.VSTAR_DEMO_DIR ??
    (uiPort === DEFAULT_UI_PORT ? join(root, '.demo') : join(root, '.demo', `port-${uiPort}`)),
);
const flowFile = resolve(process.env.VSTAR_DEMO_FLOW ?? join(root, 'examples', 'demo-with-emulator.json'));
const reset = process.argv.slice(2).includes('--reset') || process.env.VSTAR_DEMO_RESET === '1';
const steady = process.env.VSTAR_DEMO_REBOOT_EVERY === '0';
const flowsPath = join(userDir, 'flows.json');
/** SHA-256 of the flows.json this script last wrote: equal to the file means the user never deployed. */
const writtenHashPath = join(userDir, '.demo-flow.sha256');
/** flows.json as earlier versions of this script wrote it, unchanged: safe to replace. */
const EARLIER_DEMO_FLOWS = new Set(['9f1acb4302a9d8e5c648cc3af54ad89e88ceeab1810319ffae05f48644de9850']);
/** The cameras' well-known ports, as real cameras use them: the first demo's. */
const WELL_KNOWN_PORTS = { dhPort: 8600, searchPort: 32108 };

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

function shown(path) {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

if (!existsSync(join(root, 'dist', 'vstar-network.js')) || !existsSync(join(root, 'dist', 'camera', 'demo-lan.js'))) {
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
 * another demo's or vstar-sim's) holds the port, where the emulator's own reuse binds would
 * quietly share it.
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

/** Two distinct UDP ports nobody holds right now, from bind(0). */
async function freeUdpPorts() {
  const sockets = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((done, fail) => {
          const socket = createSocket('udp4');
          socket.once('error', fail);
          socket.bind(0, '0.0.0.0', () => done(socket));
        }),
    ),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise((done) => s.close(done))));
  return { dhPort: ports[0], searchPort: ports[1] };
}

// ---- Stopping everything, from the first await on ----

/** The emulated LAN, once started. */
let lan;

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
  const childrenGone = Promise.all(
    running.map(
      (child) =>
        // 'close', not 'exit': the child's last lines ("Stopped flows") are still in the pipe at exit.
        new Promise((done) => {
          child.once('close', done);
          child.kill('SIGTERM');
        }),
    ),
  );
  Promise.all([childrenGone, lan?.close()]).then(
    () => process.exit(code),
    () => process.exit(code || 1),
  );
  setTimeout(() => {
    for (const child of alive()) child.kill('SIGKILL');
    process.exit(code);
  }, 5000).unref();
}

// Ctrl-C in a terminal signals the whole group (Node-RED stops by itself too); `kill <pid>`
// signals only this process: either way Node-RED is stopped and awaited, the cameras closed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));
// Last resort if this script dies on an unexpected error: leave no orphan behind.
process.on('exit', () => {
  for (const child of alive()) child.kill('SIGKILL');
});

const uiProblem = await tcpPortProblem(uiHost, uiPort);
if (uiProblem !== undefined) {
  const other = uiPort === DEFAULT_UI_PORT ? DEFAULT_UI_PORT + 1 : DEFAULT_UI_PORT;
  console.error(
    uiProblem === 'EADDRINUSE'
      ? `[demo] port ${uiPort} on ${uiHost} is already in use (another Node-RED, or another \`npm start\`?).\n` +
          `       Stop it, or start a second demo beside it: PORT=${other} npm start\n` +
          '       (a demo on another port keeps its flows in .demo/port-<PORT>/ and its cameras on UDP ports of its own).'
      : `[demo] cannot listen on ${uiHost}:${uiPort} (${uiProblem}).`,
  );
  process.exit(1);
}

// ---- The user directory and its flows ----

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

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The flow's network node: the demo's own by id, else the first one. */
function networkNode(flow) {
  if (!Array.isArray(flow)) return undefined;
  return flow.find((n) => n?.id === 'demo-network') ?? flow.find((n) => n?.type === 'vstar-network');
}

function portOf(text, fallback) {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 && value <= 65535 ? value : fallback;
}

/** The camera ports a flow's network node names (the well-known ones when it names none). */
function cameraPortsOf(flow) {
  const network = networkNode(flow);
  return {
    dhPort: portOf(network?.dhPort, WELL_KNOWN_PORTS.dhPort),
    searchPort: portOf(network?.searchPort, WELL_KNOWN_PORTS.searchPort),
  };
}

function readFlows() {
  try {
    return JSON.parse(readFileSync(flowsPath, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The demo flow to write, its network node pointed at `ports`: the well-known ones for the first
 * demo, ports of its own for a demo on another PORT, so that two demos never hear each other.
 */
async function demoFlowFor(ports) {
  const flow = JSON.parse(readFileSync(flowFile, 'utf8'));
  const chosen = ports ?? (uiPort === DEFAULT_UI_PORT ? WELL_KNOWN_PORTS : await freeUdpPorts());
  const network = networkNode(flow);
  if (network) Object.assign(network, { dhPort: String(chosen.dhPort), searchPort: String(chosen.searchPort) });
  return `${JSON.stringify(flow, null, 2)}\n`;
}

function writeFlows(text) {
  writeFileSync(flowsPath, text);
  writeFileSync(writtenHashPath, `${sha256(text)}\n`);
}

const existing = existsSync(flowsPath) ? readFileSync(flowsPath) : undefined;
const writtenHash = existsSync(writtenHashPath) ? readFileSync(writtenHashPath, 'utf8').trim() : undefined;
if (existing === undefined) {
  writeFlows(await demoFlowFor());
  console.log(`[demo] first start: wrote the demo flow to ${shown(flowsPath)}.`);
} else if (reset) {
  copyFileSync(flowsPath, `${flowsPath}.before-reset`);
  writeFlows(await demoFlowFor());
  console.log(
    `[demo] reset: ${shown(flowsPath)} is the demo flow again; your previous flows are in ${shown(flowsPath)}.before-reset.`,
  );
} else if (sha256(existing) === writtenHash || EARLIER_DEMO_FLOWS.has(sha256(existing))) {
  // Never deployed over: the demo's own flow, maybe an earlier version's. Bring it up to date,
  // on the camera ports it already had (a second demo's flow keeps its own).
  const upToDate = await demoFlowFor(cameraPortsOf(readFlows()));
  if (upToDate === existing.toString()) console.log(`[demo] using the demo flow in ${shown(flowsPath)}.`);
  else
    console.log(`[demo] ${shown(flowsPath)} was an earlier demo flow you had not changed: updated to this version's.`);
  writeFlows(upToDate);
} else {
  console.log(
    `[demo] keeping your flows in ${shown(flowsPath)} (changed since the demo wrote them).\n` +
      '       `npm start -- --reset` puts the demo flow back (your flows are kept as flows.json.before-reset).',
  );
}

// ---- The emulated LAN ----

const cameraPorts = cameraPortsOf(readFlows());
for (const port of [cameraPorts.dhPort, cameraPorts.searchPort]) {
  const problem = await udpPortProblem(port);
  if (problem !== undefined) {
    console.error(
      problem === 'EADDRINUSE'
        ? `[demo] UDP port ${port} is already in use (another \`npm start\` or vstar-sim, or a camera app?).\n` +
            `       The emulated cameras listen on the ports the network node in ${shown(flowsPath)} names.\n` +
            (uiPort === DEFAULT_UI_PORT
              ? '       Stop that program, or start this demo on another port (PORT=1881 npm start): it gets camera ports of its own.'
              : '       Stop that program, or `npm start -- --reset` to give this demo new camera ports.')
        : `[demo] cannot bind UDP port ${port} (${problem}).`,
    );
    process.exit(1);
  }
}

const { DemoLan, DEMO_CYCLE_MS } = require(join(root, 'dist', 'camera', 'demo-lan.js'));
lan = await DemoLan.start({
  firstAddress: '127.0.0.2',
  broadcastAddress: '127.255.255.255',
  ...cameraPorts,
  ...(steady ? { schedule: [] } : {}),
});
const started = Date.now();
for (const camera of lan.steady.cameras)
  console.log(`[lan] camera ${camera.index + 1} ${camera.did} on ${camera.ip}, HTTP port ${camera.httpPort}`);
console.log(`[lan] UDP ports: DH ${lan.dhPort}, search ${lan.searchPort}`);
if (steady) console.log('[lan] steady: no visitor, no clone, no power cut (VSTAR_DEMO_REBOOT_EVERY=0).');
else {
  console.log(`[lan] every ${DEMO_CYCLE_MS / 1000} s:`);
  for (const step of lan.schedule) console.log(`[lan]   +${String(step.atMs / 1000).padStart(2)} s  ${step.shows}`);
}
lan.on('step', (step, cycle, detail) => {
  const elapsed = Math.round((Date.now() - started) / 1000);
  console.log(`[lan] ${elapsed} s, cycle ${cycle + 1}: ${step.shows}${detail ? ` (${detail})` : ''}`);
});
lan.on('error', (err) => console.error(`[lan] step failed: ${err.message}`));

// ---- Node-RED ----

// Ctrl-C while the cameras were starting: do not start what nobody would stop.
if (!stopping) startNodeRed();

function startNodeRed() {
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
      console.log(`\n  Node-RED is running with an emulated LAN of cameras: http://${uiHost}:${uiPort}/`);
      console.log('  Open the debug sidebar: every event comes round within a minute (the [lan] lines say when).');
      console.log(`  Your flows stay in ${shown(flowsPath)}; \`npm start -- --reset\` restores the demo flow.`);
      console.log('  Ctrl-C stops everything.\n');
    }
  });
  red.stderr.on('data', (chunk) => process.stderr.write(`[node-red] ${chunk}`));
}
