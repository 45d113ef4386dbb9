import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Readable } from 'node:stream';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { CameraEmulator } from '../../nodes/camera/emulator';

/** The editor's global, as far as these tests use it inside the page. */
declare const RED: {
  actions: { invoke(name: string): void };
  nodes: {
    eachConfig(visit: (node: { type: string; name?: string }) => void): void;
    eachNode(visit: (node: EditorNode) => void): void;
    node(id: string): EditorNode | null;
  };
  editor: { validateNode(node: EditorNode): void };
};
interface EditorNode {
  readonly id: string;
  readonly type: string;
  readonly valid?: boolean;
}

/** Whether the editor counts these nodes valid (no red triangle), by its own validation. */
async function validity(page: Page, types: readonly string[]): Promise<Record<string, boolean>> {
  return page.evaluate((wanted) => {
    const found: Record<string, boolean> = {};
    RED.nodes.eachNode((node) => {
      if (!wanted.includes(node.type)) return;
      RED.editor.validateNode(node);
      found[`${node.type} ${node.id}`] = node.valid === true;
    });
    return found;
  }, types);
}

/**
 * The editor in a real browser: a real Node-RED process with this package installed, Debian's
 * chromium driven by playwright, and two emulated cameras on loopback. A user builds a flow by
 * hand: drags a session node from the VStarCam palette, creates its network in the config
 * dialog, finds a camera with the Scan button, wires a debug node, deploys, and reads the
 * `connected` message in the debug sidebar. Every datagram stays on 127.0.0.0/8; chromium is
 * kept off the network by its flags and only ever loads 127.0.0.1.
 */
const root = join(__dirname, '..', '..');
/** Debian's chromium; VSTAR_CHROMIUM points elsewhere (any Chromium that playwright-core can drive). */
const CHROMIUM = process.env.VSTAR_CHROMIUM ?? '/usr/bin/chromium';
const LOOPBACK_BROADCAST = '127.255.255.255';
/** The emulated cameras' CGI password: typed into a camera config node, it must never leave the credentials. */
const CAMERA_PASSWORD = 'Pa55-kept-secret';
const MODULE = 'node-red-contrib-vstarcam-p2p';
/** This checkout's Node-RED, or the one VSTAR_NODE_RED_PATH names (scripts/compat.mjs sets it). */
const NODE_RED = join(
  dirname(require.resolve(join(process.env.VSTAR_NODE_RED_PATH || 'node-red', 'package.json'))),
  'red.js',
);
/** Guards only: every wait ends on an event or a selector long before these. */
const STEP_MS = 15_000;
const START_MS = 30_000;
const TEST_MS = 90_000;

const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium, or set VSTAR_CHROMIUM; CI's .ci/run installs it): browser test skipped`
  : false;

type NodeRedProcess = ChildProcessByStdio<null, Readable, Readable>;

/** A TCP port nobody holds right now on 127.0.0.1: listened on at 0, then freed. */
function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A user directory of its own: this checkout linked in as an installed module, an empty flow. */
function userDirectory(port: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'vstar-browser-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'node-red-contrib-vstarcam-p2p'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'vstar-browser-test', private: true }));
  writeFileSync(join(dir, 'flows.json'), '[]');
  writeFileSync(
    join(dir, 'settings.js'),
    `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: false,
  telemetry: { enabled: false },
  diagnostics: { enabled: false },
  editorTheme: { tours: false, palette: { catalogues: [] } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
  return dir;
}

class NodeRed {
  private output = '';
  private exited = false;

  private constructor(private readonly child: NodeRedProcess) {
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', () => {
      this.exited = true;
    });
  }

  static async start(userDir: string): Promise<NodeRed> {
    const child = spawn(
      process.execPath,
      [NODE_RED, '--userDir', userDir, '--settings', join(userDir, 'settings.js')],
      { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const red = new NodeRed(child);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const onData = (): void => {
          if (red.output.includes('Started flows')) {
            child.stdout.off('data', onData);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.once('exit', (code, signal) => reject(new Error(`Node-RED exited (${signal ?? code}):\n${red.log}`)));
      }),
      START_MS,
      () => `Node-RED did not start flows within ${START_MS} ms:\n${red.log}`,
    ).catch(async (error: unknown) => {
      await red.stop();
      throw error;
    });
    return red;
  }

  get log(): string {
    return this.output.slice(-4000);
  }

  /** SIGTERM, then SIGKILL if it has not exited after 5 s; resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }
}

async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox({ timeout: STEP_MS });
  if (!box) throw new Error(`${String(locator)} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * A real drag, in steps: jQuery UI's draggable (the palette) and the editor's wiring both start
 * on mousedown and follow mousemove events, which a single jump would not produce.
 */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 10, from.y + 5, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 15 });
  await page.mouse.up();
}

/** Drops a palette node onto the workspace at (x, y) in page coordinates; returns the new node's id. */
async function dropFromPalette(page: Page, type: string, at: { x: number; y: number }): Promise<string> {
  const nodes = '#red-ui-workspace-chart g.red-ui-flow-node-group';
  const known = await Promise.all((await page.locator(nodes).all()).map((g) => g.getAttribute('id')));
  const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await item.scrollIntoViewIfNeeded();
  await drag(page, await centre(item), at);
  const added = page.locator(nodes + known.map((id) => `:not([id="${id ?? ''}"])`).join(''));
  await added.waitFor();
  const id = await added.getAttribute('id');
  assert.ok(id, `dropping ${type} added a node`);
  return id;
}

function workspaceNode(page: Page, id: string): Locator {
  return page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"]`);
}

/** What a browser test works with: the emulated cameras, a Node-RED process, a browser on its editor. */
interface Rig {
  readonly browser: Browser;
  readonly port: number;
  readonly emulator: CameraEmulator;
  readonly red: NodeRed;
  readonly userDir: string;
}

/** Starts two emulated cameras, Node-RED on an empty flow and chromium; stops them all after `body`. */
async function withEditor(body: (rig: Rig) => Promise<void>): Promise<void> {
  assert.ok(
    existsSync(join(root, 'dist', 'vstar-network.js')),
    'dist/ is missing: run `npm run build` first (`npm test` does it)',
  );
  let emulator: CameraEmulator | undefined;
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let userDir: string | undefined;
  try {
    emulator = await CameraEmulator.start({
      cameras: [{ password: CAMERA_PASSWORD }, { password: CAMERA_PASSWORD }],
      firstAddress: '127.0.44.1',
      dhPort: 0,
      searchPort: 0,
      broadcastAddress: LOOPBACK_BROADCAST,
    });
    const port = await freeTcpPort();
    userDir = userDirectory(port);
    red = await NodeRed.start(userDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
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
      timeout: START_MS,
    });
    await body({ browser, port, emulator, red, userDir });
  } finally {
    await browser?.close().catch(() => undefined);
    await red?.stop();
    await emulator?.close();
    if (userDir !== undefined) rmSync(userDir, { recursive: true, force: true });
  }
}

/**
 * A page on the editor, opened at `http://127.0.0.1:<port>/`. Nothing but this Node-RED may be
 * requested and no script may fail; on failure the error carries a screenshot path and Node-RED's log.
 */
async function inEditorPage(rig: Rig, body: (page: Page) => Promise<void>): Promise<void> {
  const { browser, port, red } = rig;
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(STEP_MS);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Nothing but this Node-RED: any other request is aborted and fails the test.
  const foreign: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`http://127.0.0.1:${port}/`)) {
      return route.continue();
    }
    foreign.push(url);
    return route.abort();
  });
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    await body(page);
    assert.deepEqual(foreign, [], 'the editor requested nothing but Node-RED on 127.0.0.1');
    assert.deepEqual(pageErrors, [], 'no script errors in the editor');
  } catch (error) {
    const shot = join(tmpdir(), `vstar-browser-failure-${process.pid}.png`);
    await page.screenshot({ path: shot }).catch(() => undefined);
    const detail = `\nscreenshot: ${shot}\nNode-RED log:\n${red.log}`;
    if (error instanceof Error) error.message += detail;
    throw error;
  }
}

describe('the editor in a browser', { skip }, () => {
  test(
    'drag a session, create its network, scan, pick a camera, wire a debug node, deploy, see "connected"',
    { timeout: TEST_MS },
    () => withEditor((rig) => inEditorPage(rig, (page) => buildFlowInEditor(page, rig))),
  );

  test(
    'palette search for "camera", the port names in the network dialog, Scan in the heartbeat dialog, three examples imported',
    { timeout: TEST_MS },
    () => withEditor((rig) => inEditorPage(rig, (page) => searchScanAndImport(page, rig))),
  );

  test(
    'a camera with a login, a ptz command on it: deployed, answered, and no password in the exported flow',
    { timeout: TEST_MS },
    () => withEditor((rig) => inEditorPage(rig, (page) => commandWithCredentials(page, rig))),
  );
});

/** A user builds a flow by hand and deploys it. */
async function buildFlowInEditor(page: Page, rig: Rig): Promise<void> {
  const { port, emulator } = rig;
  const cameras = emulator.cameras.map((c) => c.uid);
  // The editor has loaded once the palette holds our nodes, under their own category.
  const category = page.locator('#red-ui-palette-container-VStarCam');
  await category.locator('.red-ui-palette-node[data-palette-type="vstar-session"]').waitFor();
  assert.equal((await category.locator('.red-ui-palette-header').textContent())?.trim(), 'VStarCam');
  const items = await category.locator('.red-ui-palette-node').all();
  const inPalette = await Promise.all(items.map((item) => item.getAttribute('data-palette-type')));
  assert.deepEqual(inPalette.sort(), [
    'vstar-command',
    'vstar-discover',
    'vstar-heartbeat',
    'vstar-motion',
    'vstar-session',
    'vstar-snapshot',
    'vstar-stream',
  ]);

  // Drag a session node onto the workspace and open it.
  const chart = await workspaceBox(page);
  assert.ok(chart, 'the workspace is visible');
  const session = await dropFromPalette(page, 'vstar-session', { x: chart.x + 250, y: chart.y + 150 });
  await workspaceNode(page, session).locator('.red-ui-flow-node').dblclick();
  await page.locator('#vstar-session-scan').waitFor();

  // The network select offers "Add new vstar-network..."; its add button opens the config
  // dialog (#node-input-lookup-network is the same button in Node-RED 3).
  await page.locator('#node-input-btn-network-add, #node-input-lookup-network').first().click();
  await page.locator('#node-config-input-targets').waitFor();
  await page.locator('#node-config-input-name').fill('emulated cameras');
  await page.locator('#node-config-input-targets').fill(LOOPBACK_BROADCAST);
  await page.locator('#node-config-input-dhPort').fill(String(emulator.dhPort));
  await page.locator('#node-config-input-searchPort').fill(String(emulator.searchPort));
  await page.locator('#node-config-input-localDhPort').fill('0');
  await page.locator('#node-config-input-localPort').fill('0');
  await page.locator('#node-config-input-timeout').fill('3');
  await page.locator('#node-config-dialog-ok').click();
  await page.locator('#node-config-input-targets').waitFor({ state: 'detached' });
  const network = page.locator('#node-input-network');
  assert.match((await network.locator('option:checked').textContent()) ?? '', /emulated cameras/);

  // Scan (before any deploy: the admin endpoint scans through a temporary socket).
  await page.locator('#vstar-session-scan').click();
  const found = page.locator('#vstar-session-results li');
  await found.nth(cameras.length - 1).waitFor();
  const listed = await found.allTextContents();
  assert.equal(listed.length, cameras.length, `listed: ${listed.join(' | ')}`);
  for (const camera of emulator.cameras) {
    assert.ok(
      listed.some((line) => line.includes(camera.info().ip)),
      `${camera.uid} at ${camera.info().ip} is listed: ${listed.join(' | ')}`,
    );
  }
  const pick = emulator.cameras[1];
  assert.ok(pick);
  await found.filter({ hasText: pick.info().ip }).click();
  assert.equal(await page.locator('#node-input-camera').inputValue(), pick.uid);
  await page.locator('#node-dialog-ok').click();
  await page.locator('#vstar-session-scan').waitFor({ state: 'detached' });

  // A debug node showing msg.event, wired from the session's output by dragging the wire.
  const debug = await dropFromPalette(page, 'debug', { x: chart.x + 550, y: chart.y + 150 });
  await workspaceNode(page, debug).locator('.red-ui-flow-node').dblclick();
  // The typed input's visible field sits right after the hidden original; its type is msg.
  const output = page.locator(
    '#node-input-typed-complete + .red-ui-typedInput-container input.red-ui-typedInput-input',
  );
  await output.fill('event');
  await page.locator('#node-dialog-ok').click();
  await output.waitFor({ state: 'detached' });
  await drag(
    page,
    await centre(workspaceNode(page, session).locator('.red-ui-flow-port-output')),
    await centre(workspaceNode(page, debug).locator('.red-ui-flow-port-input')),
  );
  await page.locator('#red-ui-workspace-chart path.red-ui-flow-link-line').first().waitFor({ state: 'attached' });

  // Deploy, then open the debug sidebar and read the messages.
  await page.locator('#red-ui-header-button-deploy').click();
  await page
    .locator('.red-ui-notification', { hasText: /deployed/i })
    .first()
    .waitFor();
  // Node-RED 3 and 4: the bug button over the sidebar; Node-RED 5 shows the debug panel already,
  // or has its button in the tab bar below.
  const debugList = page.locator('.red-ui-debug-content-list');
  if (!(await debugList.isVisible())) {
    await page.locator('#red-ui-tab-debug-link-button, button[data-tab-id="debug"]').first().click();
  }
  await debugList.waitFor();
  const message = page.locator('.red-ui-debug-msg', { hasText: pick.uid }).filter({ hasText: 'connected' });
  await message.first().waitFor();
  const text = (await message.first().textContent()) ?? '';
  assert.match(text, /msg\.event/);
  assert.match(text, /"connected"/);
  // The node shows the same on the workspace: a green dot.
  await workspaceNode(page, session).locator('.red-ui-flow-node-status-dot-green').waitFor();

  // What the dialogs saved is what was deployed.
  const flows = (await (await fetch(`http://127.0.0.1:${port}/flows`)).json()) as Record<string, unknown>[];
  const deployedNetwork = flows.find((n) => n.type === 'vstar-network');
  assert.ok(deployedNetwork, 'a vstar-network config node was deployed');
  assert.deepEqual(
    [deployedNetwork.targets, deployedNetwork.dhPort, deployedNetwork.searchPort, deployedNetwork.timeout].map(String),
    [LOOPBACK_BROADCAST, String(emulator.dhPort), String(emulator.searchPort), '3'],
  );
  const deployedSession = flows.find((n) => n.id === session);
  assert.equal(deployedSession?.camera, pick.uid);
  assert.equal(deployedSession?.network, deployedNetwork.id);
  assert.deepEqual(deployedSession?.wires, [[debug]]);
}

/** Import → Examples → this package → `name`, as a new flow; the imported nodes are placed with a click. */
async function importExample(page: Page, name: string): Promise<void> {
  await page.evaluate(() => RED.actions.invoke('core:show-examples-import-dialog'));
  const dialog = page.locator('.red-ui-clipboard-dialog-tab-library:visible');
  const folder = dialog.locator('.red-ui-treeList-label', { hasText: MODULE }).first();
  await folder.click();
  await dialog.locator('.red-ui-treeList-label', { hasText: name }).first().click();
  await page.locator('#red-ui-clipboard-dialog-import-opt-new').click();
  await page.locator('#red-ui-clipboard-dialog-ok').click();
  await page.locator('#red-ui-clipboard-dialog-ok').waitFor({ state: 'hidden' });
  // The imported nodes follow the mouse until a click drops them.
  const chart = await workspaceBox(page);
  assert.ok(chart, 'the workspace is visible');
  await page.mouse.click(chart.x + 300, chart.y + 200);
}

/** Palette search, the network dialog's wording, Scan in a heartbeat dialog, and importing the examples. */
async function searchScanAndImport(page: Page, rig: Rig): Promise<void> {
  const { emulator } = rig;
  const ours = '#red-ui-palette-container-VStarCam .red-ui-palette-node';
  await page.locator(`${ours}[data-palette-type="vstar-heartbeat"]`).waitFor();

  // Node-RED's palette filter matches the type and the palette label: "camera" finds all of ours.
  const search = page.locator('#red-ui-palette-search input');
  // The search box reacts to keyup: type, as a user does.
  await search.pressSequentially('camera');
  await page
    .locator('.red-ui-palette-node[data-palette-type="inject"][data-filter="true"]')
    .waitFor({ state: 'attached' });
  const shown = await page
    .locator(`${ours}:visible`)
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-palette-type')));
  assert.deepEqual(shown.sort(), [
    'vstar-command',
    'vstar-discover',
    'vstar-heartbeat',
    'vstar-motion',
    'vstar-session',
    'vstar-snapshot',
    'vstar-stream',
  ]);
  // The filter stays: the heartbeat node dragged next is among what it shows.

  // A heartbeat node: its dialog adds a network, whose dialog names the ports, then scans.
  const chart = await workspaceBox(page);
  assert.ok(chart, 'the workspace is visible');
  const heartbeat = await dropFromPalette(page, 'vstar-heartbeat', { x: chart.x + 250, y: chart.y + 150 });
  await workspaceNode(page, heartbeat).locator('.red-ui-flow-node').dblclick();
  await page.locator('#vstar-heartbeat-scan').waitFor();
  await page.locator('#node-input-btn-network-add, #node-input-lookup-network').first().click();
  await page.locator('#node-config-input-dhPort').waitFor();
  const label = (field: string) => page.locator(`label[for="node-config-input-${field}"]`).innerText();
  assert.equal((await label('dhPort')).trim(), 'Discovery port (DH)');
  assert.equal((await label('searchPort')).trim(), 'Session search port (PPPP)');
  assert.equal((await label('localDhPort')).trim(), 'Local discovery port');
  assert.equal((await label('localPort')).trim(), 'Local session port');
  assert.match(await page.locator('.red-ui-tray-titlebar').last().innerText(), /camera network/);
  await page.locator('#node-config-input-targets').fill(LOOPBACK_BROADCAST);
  await page.locator('#node-config-input-dhPort').fill(String(emulator.dhPort));
  await page.locator('#node-config-input-searchPort').fill(String(emulator.searchPort));
  await page.locator('#node-config-dialog-ok').click();
  await page.locator('#node-config-input-dhPort').waitFor({ state: 'detached' });
  await page.locator('#vstar-heartbeat-scan').click();
  const found = page.locator('#vstar-heartbeat-results li');
  await found.nth(emulator.cameras.length - 1).waitFor();
  const pick = emulator.cameras[0];
  assert.ok(pick);
  await found.filter({ hasText: pick.info().ip }).click();
  assert.equal(await page.locator('#node-input-camera').inputValue(), pick.uid);
  await page.locator('#node-dialog-ok').click();
  await page.locator('#vstar-heartbeat-scan').waitFor({ state: 'detached' });

  // Import → Examples, three times: no conflict to resolve, three networks told apart by name.
  for (const name of ['discover-cameras', 'session-alerts', 'heartbeat-monitor']) await importExample(page, name);
  const networks = await page.evaluate(() => {
    const names: string[] = [];
    RED.nodes.eachConfig((node: { type: string; name?: string }) => {
      if (node.type === 'vstar-network') names.push(String(node.name ?? ''));
    });
    return names;
  });
  assert.equal(networks.length, 4, `networks: ${networks.join(', ')}`);
  assert.equal(new Set(networks).size, 4, `networks: ${networks.join(', ')}`);
  assert.equal(await page.locator('.red-ui-notification:visible', { hasText: /already exist/i }).count(), 0);
  // The examples' sessions and heartbeats name a network and a camera, as 0.1 flows do: still valid.
  const imported = await validity(page, ['vstar-session', 'vstar-heartbeat']);
  assert.equal(Object.keys(imported).length, 3, JSON.stringify(imported));
  assert.ok(Object.values(imported).every(Boolean), JSON.stringify(imported));

  // The other examples import as well: every node of ours in them is valid as it comes, and every
  // network still has a name of its own.
  const others = ['camera-commands', 'motion-alerts', 'snapshot-on-motion', 'live-video', 'home-assistant-mqtt'];
  for (const name of others) await importExample(page, name);
  const newNodes = await validity(page, [
    'vstar-camera',
    'vstar-command',
    'vstar-motion',
    'vstar-snapshot',
    'vstar-stream',
  ]);
  assert.ok(Object.keys(newNodes).length >= 8, JSON.stringify(newNodes));
  assert.ok(Object.values(newNodes).every(Boolean), JSON.stringify(newNodes));
  const allNetworks = await page.evaluate(() => {
    const names: string[] = [];
    RED.nodes.eachConfig((node: { type: string; name?: string }) => {
      if (node.type === 'vstar-network') names.push(String(node.name ?? ''));
    });
    return names;
  });
  assert.equal(new Set(allNetworks).size, allNetworks.length, `networks: ${allNetworks.join(', ')}`);
}

/**
 * The workspace's box once the editor has laid it out: the palette can be ready a moment before
 * the workspace is visible, and a box read then is null (seen once under load).
 */
async function workspaceBox(page: Page): Promise<{ x: number; y: number; width: number; height: number } | null> {
  const chart = page.locator('#red-ui-workspace-chart');
  await chart.waitFor({ state: 'visible' });
  return chart.boundingBox();
}

/** Drops `type` at (x, y), wires `from`'s output to it when given; returns its id. */
async function dropAndWire(page: Page, type: string, at: { x: number; y: number }, from?: string): Promise<string> {
  const id = await dropFromPalette(page, type, at);
  if (from !== undefined) {
    const links = await page.locator('#red-ui-workspace-chart path.red-ui-flow-link-line').count();
    await drag(
      page,
      await centre(workspaceNode(page, from).locator('.red-ui-flow-port-output')),
      await centre(workspaceNode(page, id).locator('.red-ui-flow-port-input')),
    );
    await page.locator('#red-ui-workspace-chart path.red-ui-flow-link-line').nth(links).waitFor({ state: 'attached' });
  }
  return id;
}

/**
 * A user adds a command node, creates its camera (and the camera's network) from the dialog,
 * types the camera's login, picks pan left, deploys and exports the flow: the password is stored
 * as a credential and appears nowhere else. Then the inject button pans the emulated camera.
 */
async function commandWithCredentials(page: Page, rig: Rig): Promise<void> {
  const { port, emulator, userDir } = rig;
  await page.locator('.red-ui-palette-node[data-palette-type="vstar-command"]').waitFor();
  const chart = await workspaceBox(page);
  assert.ok(chart, 'the workspace is visible');
  const inject = await dropFromPalette(page, 'inject', { x: chart.x + 150, y: chart.y + 150 });
  const command = await dropAndWire(page, 'vstar-command', { x: chart.x + 400, y: chart.y + 150 }, inject);
  await workspaceNode(page, command).locator('.red-ui-flow-node').dblclick();
  await page.locator('#node-input-command').waitFor();

  // The camera config node, added from the command's dialog; its own dialog adds the network.
  await page.locator('#node-input-btn-device-add, #node-input-lookup-device').first().click();
  await page.locator('#node-config-input-username').waitFor();
  assert.equal(await page.locator('#node-config-input-username').getAttribute('placeholder'), 'admin');
  assert.equal(await page.locator('#node-config-input-password').getAttribute('type'), 'password');
  assert.equal(await page.locator('#node-config-input-password').inputValue(), '', 'no password is prefilled');
  await page.locator('#node-config-input-btn-network-add, #node-config-input-lookup-network').first().click();
  await page.locator('#node-config-input-targets').waitFor();
  await page.locator('#node-config-input-name').last().fill('command cameras');
  await page.locator('#node-config-input-targets').fill(LOOPBACK_BROADCAST);
  await page.locator('#node-config-input-dhPort').fill(String(emulator.dhPort));
  await page.locator('#node-config-input-searchPort').fill(String(emulator.searchPort));
  await page.locator('#node-config-input-timeout').fill('3');
  await page.locator('#node-config-dialog-ok').last().click();
  await page.locator('#node-config-input-targets').waitFor({ state: 'detached' });
  assert.match(
    (await page.locator('#node-config-input-network option:checked').textContent()) ?? '',
    /command cameras/,
  );

  // Scan in the camera dialog, pick a camera, type its login.
  await page.locator('#vstar-camera-scan').click();
  const found = page.locator('#vstar-camera-results li');
  await found.nth(emulator.cameras.length - 1).waitFor();
  const pick = emulator.cameras[0];
  assert.ok(pick);
  await found.filter({ hasText: pick.info().ip }).click();
  assert.equal(await page.locator('#node-config-input-camera').inputValue(), pick.uid);
  await page.locator('#node-config-input-username').fill('admin');
  await page.locator('#node-config-input-password').fill(CAMERA_PASSWORD);
  await page.locator('#node-config-dialog-ok').click();
  await page.locator('#node-config-input-username').waitFor({ state: 'detached' });
  assert.equal((await page.locator('#node-input-device option:checked').textContent())?.trim(), pick.uid);

  // The form shows what each command uses: raw its CGI and parameters, ptz its action and step.
  const visible = async (selector: string): Promise<boolean> => page.locator(selector).first().isVisible();
  assert.equal(await visible('#vstar-command-action-row'), false, 'status takes no action');
  await page.locator('#node-input-command').selectOption('raw');
  assert.deepEqual(
    [await visible('#node-input-cgi'), await visible('#node-input-params'), await visible('#node-input-action')],
    [true, true, false],
  );
  await page.locator('#node-input-command').selectOption('ptz');
  await page.locator('#node-input-action').selectOption('preset-go');
  assert.deepEqual([await visible('#node-input-preset'), await visible('#node-input-step')], [true, false]);
  await page.locator('#node-input-action').selectOption('left');
  assert.deepEqual(
    [await visible('#node-input-preset'), await visible('#node-input-step'), await visible('#node-input-cgi')],
    [false, true, false],
  );
  await page.locator('#node-input-step').check();
  await page.locator('#node-dialog-ok').click();
  await page.locator('#node-input-command').waitFor({ state: 'detached' });
  assert.equal(
    (await workspaceNode(page, command).locator('.red-ui-flow-node-label').textContent())?.trim(),
    'ptz left',
  );

  // A debug node showing msg.event.
  const debug = await dropAndWire(page, 'debug', { x: chart.x + 650, y: chart.y + 150 }, command);
  await workspaceNode(page, debug).locator('.red-ui-flow-node').dblclick();
  const output = page.locator(
    '#node-input-typed-complete + .red-ui-typedInput-container input.red-ui-typedInput-input',
  );
  await output.fill('event');
  await page.locator('#node-dialog-ok').click();
  await output.waitFor({ state: 'detached' });

  // A session on the same camera: choosing the camera hides the inline network and camera.
  const session = await dropFromPalette(page, 'vstar-session', { x: chart.x + 400, y: chart.y + 300 });
  await workspaceNode(page, session).locator('.red-ui-flow-node').dblclick();
  await page.locator('#vstar-session-scan').waitFor({ state: 'attached' });
  const inline = page.locator('#vstar-session-inline');
  await page.locator('#node-input-device').selectOption({ label: pick.uid });
  await inline.waitFor({ state: 'hidden' });
  await page.locator('#node-input-device').selectOption('_ADD_');
  await inline.waitFor({ state: 'visible' });
  await page.locator('#node-input-device').selectOption({ label: pick.uid });
  await inline.waitFor({ state: 'hidden' });
  await page.locator('#node-dialog-ok').click();
  await page.locator('#vstar-session-scan').waitFor({ state: 'detached' });
  assert.deepEqual(await validity(page, ['vstar-session', 'vstar-command']), {
    [`vstar-session ${session}`]: true,
    [`vstar-command ${command}`]: true,
  });

  await page.locator('#red-ui-header-button-deploy').click();
  await page
    .locator('.red-ui-notification', { hasText: /deployed/i })
    .first()
    .waitFor();

  // Export → all flows, as a user copies it to the clipboard.
  await page.evaluate(() => RED.actions.invoke('core:show-export-dialog'));
  await page.locator('#red-ui-clipboard-dialog-export-rng-full').click();
  const exported = await page.locator('#red-ui-clipboard-dialog-export-text').inputValue();
  await page.locator('#red-ui-clipboard-dialog-cancel').click();
  const flow = JSON.parse(exported) as Record<string, unknown>[];
  const camera = flow.find((n) => n.type === 'vstar-camera');
  assert.ok(camera, `the export holds the camera: ${exported.slice(0, 400)}`);
  assert.equal(camera.camera, pick.uid);
  assert.equal('credentials' in camera, false, 'the exported camera carries no credentials');
  const exportedCommand = flow.find((n) => n.id === command);
  assert.deepEqual(
    [exportedCommand?.device, exportedCommand?.command, exportedCommand?.action, exportedCommand?.step],
    [camera.id, 'ptz', 'left', true],
  );
  assert.ok(!exported.includes(CAMERA_PASSWORD), 'the exported flow holds no password');
  const exportedSession = flow.find((n) => n.id === session);
  assert.deepEqual([exportedSession?.device, exportedSession?.network], [camera.id, '']);

  // Neither the deployed flow nor the flow file holds it; the credentials do, and the editor gets only a flag.
  const flows = await (await fetch(`http://127.0.0.1:${port}/flows`)).text();
  assert.ok(!flows.includes(CAMERA_PASSWORD), 'GET /flows holds no password');
  assert.ok(!readFileSync(join(userDir, 'flows.json'), 'utf8').includes(CAMERA_PASSWORD), 'flows.json');
  assert.ok(readFileSync(join(userDir, 'flows_cred.json'), 'utf8').includes(CAMERA_PASSWORD), 'flows_cred.json');
  const credentials = (await (
    await fetch(`http://127.0.0.1:${port}/credentials/vstar-camera/${String(camera.id)}`)
  ).json()) as Record<string, unknown>;
  assert.deepEqual(credentials, { username: 'admin', has_password: true });

  // The inject button sends a message: the camera pans and answers.
  await workspaceNode(page, inject).locator('.red-ui-flow-node-button-button').click();
  const debugList = page.locator('.red-ui-debug-content-list');
  if (!(await debugList.isVisible())) {
    await page.locator('#red-ui-tab-debug-link-button, button[data-tab-id="debug"]').first().click();
  }
  await debugList.waitFor();
  const message = page.locator('.red-ui-debug-msg', { hasText: pick.uid }).filter({ hasText: 'response' });
  await message.first().waitFor();
  assert.match((await message.first().textContent()) ?? '', /"response"/);
  const log = rig.red.log;
  assert.ok(!log.includes(CAMERA_PASSWORD), 'the Node-RED log holds no password');
}
