// Takes docs/home-assistant-flow.png, the README's picture of examples/home-assistant-mqtt.json:
// the flow running in a real Node-RED against Debian's mosquitto and two vstar-sim cameras, its
// editor in Debian's chromium. Home Assistant itself does not run here, so the picture is the
// flow, with the topics the broker holds listed in the debug sidebar. Not part of `npm test`.
//
//   npm run build && unshare -n sh -c 'ip link set lo up && node scripts/screenshot-home-assistant.mjs'
//
// Environment (all optional): VSTAR_CHROMIUM (default /usr/bin/chromium), VSTAR_SCREENSHOT_OUT
// (default docs/home-assistant-flow.png).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const executablePath = process.env.VSTAR_CHROMIUM ?? '/usr/bin/chromium';
const out = resolve(process.env.VSTAR_SCREENSHOT_OUT ?? join(root, 'docs', 'home-assistant-flow.png'));
/** Only a guard against a hang. */
const GUARD_MS = 60_000;

function freeTcpPort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

const children = [];
/** Starts a process and resolves with it once a stdout or stderr line matches `ready`. */
function start(command, args, ready, cwd = root) {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines = [];
  return new Promise((done, fail) => {
    const guard = setTimeout(() => fail(new Error(`${command} did not start:\n${lines.join('\n')}`)), GUARD_MS);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (ready.test(line)) {
          clearTimeout(guard);
          done({ child, lines });
        }
      });
    }
    child.once('exit', (code) => fail(new Error(`${command} exited (${code}):\n${lines.join('\n')}`)));
  });
}

const work = mkdtempSync(join(tmpdir(), 'vstar-ha-screenshot-'));
let browser;
let status = 0;
try {
  const brokerPort = await freeTcpPort();
  writeFileSync(
    join(work, 'mosquitto.conf'),
    `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\nlog_dest stderr\n`,
  );
  await start('mosquitto', ['-c', join(work, 'mosquitto.conf')], /running/);
  const sim = await start(
    process.execPath,
    [
      join(root, 'dist', 'camera', 'cli.js'),
      '--count',
      '2',
      '--dh-port',
      '0',
      '--search-port',
      '0',
      '--motion-every',
      '15',
    ],
    /^ready$/,
  );
  const cameras = sim.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const [, dhPort, searchPort] = /DH port (\d+), search port (\d+)/.exec(sim.lines.join('\n')) ?? [];

  // The example, with only what a user sets: broker, targets and ports, the two cameras.
  const flow = JSON.parse(readFileSync(join(root, 'examples', 'home-assistant-mqtt.json'), 'utf8'));
  const set = (id, values) =>
    Object.assign(
      flow.find((n) => n.id === id),
      values,
    );
  set('ha1broker', { broker: '127.0.0.1', port: String(brokerPort) });
  set('ha1net', { targets: '127.255.255.255', dhPort: String(dhPort), searchPort: String(searchPort), timeout: '2' });
  set('ha1camera1', { camera: cameras[0].uid, name: 'Porch' });
  set('ha1camera2', { camera: cameras[1].uid, name: 'Garage' });
  // Node-RED starts no flow with an unknown type: until vstar-snapshot ships, a stand-in.
  const shipped = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))['node-red'].nodes;
  for (const node of flow)
    if (node.type === 'vstar-snapshot' && !shipped['vstar-snapshot'])
      Object.assign(node, { type: 'function', func: 'return null;', outputs: 1 });
  // A debug node on the broker, so the picture shows what Home Assistant receives.
  flow.push(
    {
      id: 'shotin',
      type: 'mqtt in',
      z: 'ha1tab',
      name: 'what Home Assistant sees',
      topic: 'homeassistant/+/+/+/config',
      qos: '0',
      datatype: 'json',
      broker: 'ha1broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      x: 200,
      y: 320,
      wires: [['shotdebug']],
    },
    {
      id: 'shotdebug',
      type: 'debug',
      z: 'ha1tab',
      name: 'configs',
      active: true,
      tosidebar: true,
      console: false,
      tostatus: false,
      complete: 'payload',
      targetType: 'msg',
      x: 470,
      y: 320,
      wires: [],
    },
  );
  const uiPort = await freeTcpPort();
  const userDir = join(work, 'red');
  mkdirSync(join(userDir, 'node_modules'), { recursive: true });
  symlinkSync(root, join(userDir, 'node_modules', 'node-red-contrib-vstarcam-p2p'), 'dir');
  writeFileSync(join(userDir, 'package.json'), '{"name":"vstar-ha-screenshot","private":true}');
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
  writeFileSync(
    join(userDir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', uiPort: ${uiPort}, flowFile: 'flows.json', credentialSecret: false,
  telemetry: { enabled: false }, diagnostics: { enabled: false },
  editorTheme: { tours: false, palette: { catalogues: [] } } };\n`,
  );
  await start(
    process.execPath,
    [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', join(userDir, 'settings.js')],
    /Started flows/,
    userDir,
  );

  browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 720 } });
  page.setDefaultTimeout(GUARD_MS);
  await page.goto(`http://127.0.0.1:${uiPort}/`);
  await page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group[id="ha1cam1"]').waitFor();
  await page.locator('#red-ui-tab-debug-link-button').click();
  // Reconnect the broker nodes with the editor open, so the retained configs arrive in view.
  await page.locator('#red-ui-header-button-deploy-options').click();
  await page.locator('#deploymenu-item-reload').click();
  await page.locator('#red-ui-workspace-chart g[id="ha1out"] .red-ui-flow-node-status-dot-green').waitFor();
  await page.locator('.red-ui-debug-msg', { hasText: 'unique_id' }).first().waitFor();
  // The rest of the retained configs follow within a moment.
  await page.waitForTimeout(3000);
  // No notification or tooltip over the flow.
  await page.locator('.red-ui-notification').first().waitFor({ state: 'detached' });
  await page.mouse.move(700, 700);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`[screenshot] wrote ${out} (${Math.round(statSync(out).size / 1024)} KiB)`);
} catch (error) {
  console.error(`[screenshot] ${error instanceof Error ? error.message : String(error)}`);
  status = 1;
} finally {
  await browser?.close().catch(() => undefined);
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
