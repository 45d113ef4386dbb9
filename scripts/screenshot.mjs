// Takes docs/demo-flow.png, the README's picture of the demo: the real `npm start` demo (three
// emulated cameras, Node-RED 4.1, examples/demo-with-emulator.json), its editor in Debian's
// chromium, the debug sidebar after the flow has run for a while. Not part of `npm test`.
//
//   npm run build && unshare -n sh -c 'ip link set lo up && node scripts/screenshot.mjs'
//
// The demo binds UDP 8600 and 32108 (as real cameras do), so run it where those are free; the
// private network namespace above also guarantees nothing leaves the machine.
//
// Environment (all optional):
//   VSTAR_CHROMIUM           chromium binary (default /usr/bin/chromium)
//   VSTAR_SCREENSHOT_SETTLE  seconds the flow runs before the picture (default 48: the demo LAN's
//                            first visitor, clone and power cut have come and gone, camera 1 is back)
//   VSTAR_SCREENSHOT_OUT     where to write the PNG (default docs/demo-flow.png)
//   VSTAR_DEMO_REBOOT_EVERY  passed to the demo; 0 stops its scripted LAN (cameras that just stay)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const executablePath = process.env.VSTAR_CHROMIUM ?? '/usr/bin/chromium';
const settleMs = Number(process.env.VSTAR_SCREENSHOT_SETTLE ?? '48') * 1000;
const out = resolve(process.env.VSTAR_SCREENSHOT_OUT ?? join(root, 'docs', 'demo-flow.png'));
/** Only a guard against a hang: the demo starts in a few seconds. */
const START_MS = 60_000;

if (!existsSync(executablePath)) {
  console.error(`[screenshot] ${executablePath} is not installed (apt-get install chromium, or set VSTAR_CHROMIUM).`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'vstar-network.js'))) {
  console.error('[screenshot] dist/ is missing: run `npm run build` first.');
  process.exit(1);
}

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

const port = await freeTcpPort();
const userDir = mkdtempSync(join(tmpdir(), 'vstar-screenshot-'));
// What `npm start` runs once it has built: scripts/demo.mjs, here on a free port and a temporary user dir.
const demo = spawn(process.execPath, [join(root, 'scripts', 'demo.mjs')], {
  cwd: root,
  // Camera 1's reboot (every 30 s in the demo) would turn the picture's status dots red.
  env: { ...process.env, PORT: String(port), VSTAR_DEMO_DIR: userDir },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const log = [];
demo.stderr.on('data', (chunk) => log.push(String(chunk)));
const started = new Promise((done, fail) => {
  const guard = setTimeout(() => fail(new Error(`the demo did not start within ${START_MS} ms`)), START_MS);
  createInterface({ input: demo.stdout }).on('line', (line) => {
    log.push(line);
    if (line.includes('Started flows')) {
      clearTimeout(guard);
      done();
    }
  });
  demo.once('exit', (code, signal) => {
    clearTimeout(guard);
    fail(new Error(`the demo exited (${signal ?? code})`));
  });
});

let browser;
let status = 0;
try {
  await started;
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
      '--disable-quic',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  page.setDefaultTimeout(START_MS);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group[id="demo-session"]').waitFor();
  // The debug sidebar only shows what arrives while the editor is open: restart the flows (as
  // Deploy > Restart Flows does) so discovery and the sessions connecting happen again in view.
  await page.locator('#red-ui-tab-debug-link-button').click();
  await page.locator('#red-ui-header-button-deploy-options').click();
  await page.locator('#deploymenu-item-reload').click();
  // The sidebar wide enough to read the messages.
  const separator = await page.locator('#red-ui-sidebar-separator').boundingBox();
  if (separator) {
    const y = separator.y + separator.height / 2;
    await page.mouse.move(separator.x + separator.width / 2, y);
    await page.mouse.down();
    await page.mouse.move(separator.x - 120, y, { steps: 10 });
    await page.mouse.up();
  }
  // Let discovery, the sessions and a few heartbeats happen, then make sure they did.
  await page.waitForTimeout(settleMs);
  await page.locator('#red-ui-workspace-chart g[id="demo-session"] .red-ui-flow-node-status-dot-green').waitFor();
  await page.locator('#red-ui-workspace-chart g[id="demo-heartbeat"] .red-ui-flow-node-status-dot-green').waitFor();
  await page.locator('.red-ui-debug-msg', { hasText: 'heartbeat' }).first().waitFor();
  // The palette filtered to this package's nodes; the debug list from its start, where discovery
  // and the sessions connecting come before the heartbeats.
  await page.locator('#red-ui-palette-search input').pressSequentially('vstar');
  await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: 'hidden' });
  const discovered = page.locator('.red-ui-debug-msg', { hasText: 'discovered ' }).first();
  await discovered.evaluate((msg) => msg.scrollIntoView({ block: 'start' }));
  // No notification or tooltip over the flow.
  await page.mouse.move(700, 780);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`[screenshot] wrote ${out} (${Math.round(statSync(out).size / 1024)} KiB)`);
} catch (error) {
  console.error(`[screenshot] ${error instanceof Error ? error.message : String(error)}\n${log.join('\n')}`);
  status = 1;
} finally {
  await browser?.close().catch(() => undefined);
  if (demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise((done) => demo.once('exit', done));
    demo.kill('SIGTERM');
    await exited;
  }
  rmSync(userDir, { recursive: true, force: true });
}
process.exit(status);
