import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { COMMAND_NAMES, PTZ_ACTIONS, SWITCH_ACTIONS, parseCommand } from '../../nodes/commands/catalogue';
import { parseNetworkConfig } from '../../nodes/adapter/network-config';
import { parseDiscoverConfig, parseHeartbeatConfig, parseSessionConfig } from '../../nodes/adapter/node-config';

/** Static checks of what the editor loads: the HTML, its i18n keys, icons, and the example flows. */
const root = join(__dirname, '..', '..');
const TYPES = [
  'vstar-network',
  'vstar-camera',
  'vstar-discover',
  'vstar-session',
  'vstar-heartbeat',
  'vstar-command',
  'vstar-motion',
  'vstar-snapshot',
  'vstar-stream',
] as const;
const CONFIG_TYPES: readonly string[] = ['vstar-network', 'vstar-camera'];

function html(type: string): string {
  return readFileSync(join(root, 'nodes', `${type}.html`), 'utf8');
}

function lookup(tree: unknown, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>(
      (at, part) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[part] : undefined),
      tree,
    );
}

describe('editor files', () => {
  for (const type of TYPES) {
    test(`${type}: registration, template, help, and every i18n key in locales/en-US`, () => {
      const text = html(type);
      assert.match(text, new RegExp(`RED\\.nodes\\.registerType\\('${type}', \\{`));
      assert.match(text, new RegExp(`<script type="text/html" data-template-name="${type}">`));
      assert.match(text, new RegExp(`<script type="text/html" data-help-name="${type}">`));
      if (!CONFIG_TYPES.includes(type)) {
        assert.match(text, /category: 'VStarCam'/);
        const icon = /icon: '([^']+)'/.exec(text)?.[1];
        assert.ok(icon && existsSync(join(root, 'icons', icon)), `icon ${icon}`);
        const help = text.slice(text.indexOf('data-help-name'));
        for (const heading of ['Outputs', 'Details']) assert.match(help, new RegExp(`<h3>${heading}</h3>`));
        assert.match(help, /<h3>Inputs<\/h3>/);
        for (const field of ['topic', 'event', 'payload', 'camera']) {
          assert.match(
            help,
            new RegExp(`<dt( class="optional")?>${field} <span class="property-type">`),
            `${type} documents msg.${field}`,
          );
        }
        assert.match(help, /<dl class="message-properties">/);
      }
      assert.doesNotMatch(text, /['"]\/vstar-p2p/, 'admin URLs are relative');
      if (CONFIG_TYPES.includes(type)) {
        assert.match(text, /category: 'config'/);
        const help = text.slice(text.indexOf('data-help-name'));
        for (const heading of ['Properties', 'Details']) assert.match(help, new RegExp(`<h3>${heading}</h3>`));
      }
      const locale: unknown = JSON.parse(readFileSync(join(root, 'locales', 'en-US', `${type}.json`), 'utf8'));
      const keys = [
        ...[...text.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]),
        ...[...text.matchAll(/\b_\('([^']+)'/g)].map((m) => m[1]),
      ];
      assert.ok(keys.length > 3);
      for (const key of keys) {
        assert.ok(key?.startsWith(`${type}.`), `key ${key} is in the node's namespace`);
        assert.equal(typeof lookup(locale, key ?? ''), 'string', `locales/en-US/${type}.json has ${key}`);
      }
    });
  }

  test('the editor defaults are valid runtime properties', () => {
    // As the editor sees them: each dialog's script run (after vstar-network's shared helpers).
    const defaults = (type: string): Record<string, unknown> =>
      Object.fromEntries(Object.entries(definition(type).defaults).map(([key, rule]) => [key, rule.value]));
    const network = defaults('vstar-network');
    assert.deepEqual(network, {
      name: '',
      bind: '0.0.0.0',
      targets: '255.255.255.255',
      dhPort: 8600,
      searchPort: 32108,
      localDhPort: 0,
      localPort: 0,
      timeout: 10,
      passphrases: 'vstarcam2018,vstarcam2019,vstarcam2021',
    });
    assert.equal(parseNetworkConfig(network).ok, true);
    const discover = defaults('vstar-discover');
    assert.deepEqual(discover, {
      name: '',
      network: '',
      interval: 0,
      window: 2000,
      output: 'each',
      includeSecrets: false,
    });
    assert.equal(parseDiscoverConfig(discover).ok, true);
    const session = defaults('vstar-session');
    assert.deepEqual(session, { name: '', device: '', network: '', camera: '', autoConnect: true, reconnect: true });
    assert.equal(parseSessionConfig(session).ok, true);
    const heartbeat = defaults('vstar-heartbeat');
    assert.deepEqual(heartbeat, { name: '', device: '', network: '', camera: '', interval: 5, misses: 3 });
    assert.equal(parseHeartbeatConfig(heartbeat).ok, true);
    assert.deepEqual(defaults('vstar-camera'), { name: '', network: '', camera: '' });
    const command = defaults('vstar-command');
    assert.deepEqual(command, {
      name: '',
      device: '',
      command: 'status',
      action: '',
      preset: 0,
      step: false,
      cgi: '',
      params: '',
      timeout: 5,
    });
    assert.equal(parseCommand(command).ok, true);
    assert.deepEqual(defaults('vstar-motion'), { name: '', device: '', interval: 1 });
  });
});

/** What `RED.nodes.registerType` received for a type, as far as these tests read it. */
interface Definition {
  readonly defaults: Record<string, { value: unknown; type?: string; required?: boolean; validate?: ValidateFn }>;
  readonly credentials?: Record<string, { type: string }>;
  readonly label: (this: Record<string, unknown>) => string;
}
type ValidateFn = (this: Record<string, unknown>, value: unknown) => unknown;

/**
 * Runs a node's editor script the way the editor does, against a stand-in `RED` that knows the
 * config nodes in `configNodes`, and returns what it registered. No dialog is open: `$()` finds
 * nothing, so validators read the node's saved properties.
 */
function definition(type: string, configNodes: Record<string, Record<string, unknown>> = {}): Definition {
  const registered = new Map<string, Definition>();
  const found = { length: 0, val: () => undefined, data: () => undefined };
  const RED = {
    nodes: {
      registerType: (name: string, def: Definition) => registered.set(name, def),
      node: (id: string) => configNodes[id] ?? null,
    },
  };
  // One global scope for all scripts, `window` being it, as in the browser: vstar-network's
  // shared helpers (loaded first by Node-RED, as package.json lists it first) are there for the rest.
  const scope: Record<string, unknown> = { RED, $: () => found };
  scope.window = scope;
  const context = createContext(scope);
  const files = type === 'vstar-network' ? [type] : ['vstar-network', type];
  for (const file of files)
    for (const m of html(file).matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g))
      runInContext(m[1] ?? '', context);
  const def = registered.get(type);
  assert.ok(def, `${type} registers itself`);
  return def;
}

/** Node-RED's rule for one property (validateNodeProperty): required, then validate, else the config node check. */
function propertyValid(def: Definition, node: Record<string, unknown>, property: string): boolean {
  const rule = def.defaults[property];
  assert.ok(rule, property);
  const value = node[property] ?? '';
  if (rule.required === true && value === '') return false;
  if (rule.validate) {
    if (rule.required === false && value === '') return true;
    return Boolean(rule.validate.call(node, value));
  }
  if (rule.type) return value === '' || value === '_ADD_' ? rule.required === false : true;
  return true;
}

function nodeValid(def: Definition, node: Record<string, unknown>): boolean {
  return Object.keys(def.defaults).every((property) => propertyValid(def, node, property));
}

describe('editor validation, as the editor runs it', () => {
  const configNodes = {
    net1: { id: 'net1', type: 'vstar-network', valid: true },
    cam1: { id: 'cam1', type: 'vstar-camera', name: 'porch', camera: 'VSTB668515UZCPK', valid: true },
  };

  for (const type of ['vstar-session', 'vstar-heartbeat']) {
    test(`${type}: a 0.1 flow (network + camera) and a new one (device only) are both valid; neither is not`, () => {
      const def = definition(type, configNodes);
      const base = Object.fromEntries(Object.entries(def.defaults).map(([key, rule]) => [key, rule.value]));
      const old = { ...base, network: 'net1', camera: 'VSTB668515UZCPK' };
      delete (old as Record<string, unknown>).device;
      assert.equal(nodeValid(def, old), true, 'network + camera, no device property at all');
      assert.equal(nodeValid(def, { ...base, network: 'net1', camera: '' }), true, 'network, first camera to answer');
      assert.equal(nodeValid(def, { ...base, device: 'cam1' }), true, 'device only');
      assert.equal(nodeValid(def, { ...base, device: 'cam1', network: 'net1' }), true, 'device with leftovers');
      assert.equal(nodeValid(def, { ...base }), false, 'nothing chosen');
      assert.equal(nodeValid(def, { ...base, network: '_ADD_' }), false, 'network select on "add new"');
      assert.equal(nodeValid(def, { ...base, network: 'gone' }), false, 'a network that is not in the flow');
      assert.equal(def.defaults.device?.type, 'vstar-camera');
      assert.equal(def.defaults.network?.type, 'vstar-network');
      assert.notEqual(def.defaults.network?.required, true, 'network is required only without a device');
      assert.equal(def.label.call({ ...base, device: 'cam1' }), `${type.slice(6)} porch`);
      assert.equal(def.label.call({ ...base, network: 'net1', camera: 'VSTB1' }), `${type.slice(6)} VSTB1`);
    });
  }

  test('vstar-camera: network and camera required, the camera a UID (dashed or not) or IPv4, the login as credentials', () => {
    const def = definition('vstar-camera', configNodes);
    const node = { name: '', network: 'net1', camera: 'VSTB-668515-UZCPK' };
    assert.equal(nodeValid(def, node), true);
    for (const camera of ['VSTB668515UZCPK', '192.168.1.40']) assert.equal(nodeValid(def, { ...node, camera }), true);
    for (const camera of ['', 'camera one', '300.1.1.1'])
      assert.equal(nodeValid(def, { ...node, camera }), false, camera);
    assert.equal(nodeValid(def, { ...node, network: '' }), false);
    assert.deepEqual(JSON.parse(JSON.stringify(def.credentials)), {
      username: { type: 'text' },
      password: { type: 'password' },
    });
    assert.equal(def.label.call(node), 'VSTB-668515-UZCPK');
    assert.equal(def.label.call({ ...node, name: 'porch' }), 'porch');
    const text = html('vstar-camera');
    assert.match(text, /<input type="password" id="node-config-input-password"/);
    assert.doesNotMatch(
      text.slice(0, text.indexOf('data-help-name')),
      /888888/,
      'the factory password is not prefilled',
    );
    const help = text.slice(text.indexOf('data-help-name'));
    assert.match(help, /888888/, 'the help names the factory password');
    assert.match(help, /credentials/);
    assert.match(help, /never part of a message, a log line, a node\s+status or an exported flow/);
    const locale = JSON.parse(readFileSync(join(root, 'locales', 'en-US', 'vstar-camera.json'), 'utf8')) as unknown;
    assert.equal(lookup(locale, 'vstar-camera.placeholder.username'), 'admin');
  });

  test('vstar-command: the form offers every command and action of the catalogue, each with its words', () => {
    const text = html('vstar-command');
    const options = [...text.matchAll(/<option value="([^"]+)" data-i18n="vstar-command\.command\.([^"]+)">/g)];
    assert.deepEqual(
      options.map((m) => m[1]),
      [...COMMAND_NAMES],
    );
    assert.deepEqual(
      options.map((m) => m[2]),
      [...COMMAND_NAMES],
    );
    const list = (name: string): string[] => {
      const found = new RegExp(`\\b${name}: \\[([^\\]]*)\\]`).exec(text)?.[1] ?? '';
      return [...found.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
    };
    assert.deepEqual(list('ptz'), [...PTZ_ACTIONS]);
    for (const name of ['light', 'siren', 'infrared']) assert.deepEqual(list(name), [...SWITCH_ACTIONS], name);
    const locale = JSON.parse(readFileSync(join(root, 'locales', 'en-US', 'vstar-command.json'), 'utf8')) as unknown;
    for (const action of [...PTZ_ACTIONS, ...SWITCH_ACTIONS])
      assert.equal(typeof lookup(locale, `vstar-command.action.${action}`), 'string', action);
    const help = text.slice(text.indexOf('data-help-name'));
    for (const name of COMMAND_NAMES) assert.match(help, new RegExp(`<b>${name}</b>`), `the help explains ${name}`);
    for (const action of PTZ_ACTIONS) assert.match(help, new RegExp(`<code>${action}</code>`), action);
  });

  test('vstar-command: what the dialog may save is what the runtime accepts', () => {
    const def = definition('vstar-command', configNodes);
    const base = Object.fromEntries(Object.entries(def.defaults).map(([key, rule]) => [key, rule.value]));
    const accepted = (node: Record<string, unknown>): void => {
      assert.equal(nodeValid(def, node), true, JSON.stringify(node));
      assert.equal(parseCommand(node).ok, true, JSON.stringify(node));
    };
    const refused = (node: Record<string, unknown>): void => {
      assert.equal(nodeValid(def, node), false, JSON.stringify(node));
      assert.equal(parseCommand(node).ok, false, JSON.stringify(node));
    };
    const node = { ...base, device: 'cam1' };
    for (const command of COMMAND_NAMES.filter((name) => name !== 'ptz' && name !== 'raw'))
      accepted({ ...node, command });
    for (const action of PTZ_ACTIONS) accepted({ ...node, command: 'ptz', action });
    accepted({ ...node, command: 'ptz', action: 'preset-go', preset: 15 });
    accepted({ ...node, command: 'ptz', action: 'left', step: true });
    for (const action of SWITCH_ACTIONS) accepted({ ...node, command: 'light', action });
    accepted({ ...node, command: 'raw', cgi: 'get_record_file.cgi', params: '{"PageIndex":0}' });
    accepted({ ...node, command: 'raw', cgi: 'get_status', params: '' });
    refused({ ...node, command: 'ptz', action: '' });
    refused({ ...node, command: 'ptz', action: 'on' });
    refused({ ...node, command: 'ptz', action: 'preset-go', preset: 16 });
    refused({ ...node, command: 'siren', action: 'left' });
    refused({ ...node, command: 'raw', cgi: '' });
    refused({ ...node, command: 'raw', cgi: 'get_status.cgi', params: '[1]' });
    refused({ ...node, command: 'raw', cgi: 'get_status.cgi', params: '{nope' });
    refused({ ...node, command: 'dance' });
    assert.equal(nodeValid(def, { ...node, device: '' }), false, 'a camera is required');
    assert.equal(nodeValid(def, { ...node, timeout: 0 }), false);
    assert.equal(def.label.call({ ...node, command: 'ptz', action: 'left' }), 'ptz left');
    assert.equal(def.label.call({ ...node, command: 'ptz', action: 'preset-go', preset: 3 }), 'ptz preset-go 3');
    assert.equal(def.label.call({ ...node, command: 'raw', cgi: 'get_record_file.cgi' }), 'raw get_record_file.cgi');
    assert.equal(def.label.call(node), 'status');
  });

  test('vstar-motion: a camera, and polls no faster than every 0.2 s', () => {
    const def = definition('vstar-motion', configNodes);
    const node = { name: '', device: 'cam1', interval: 1 };
    assert.equal(nodeValid(def, node), true);
    assert.equal(nodeValid(def, { ...node, interval: 0.2 }), true);
    assert.equal(nodeValid(def, { ...node, interval: 0.1 }), false);
    assert.equal(nodeValid(def, { ...node, device: '' }), false);
    assert.equal(def.label.call(node), 'motion porch');
  });
});

describe('example flows', () => {
  const CORE = new Set(['inject', 'debug', 'switch', 'change', 'comment', 'catch', 'file']);
  const examples = [
    'discover-cameras',
    'session-alerts',
    'heartbeat-monitor',
    'camera-commands',
    'motion-alerts',
    'snapshot-on-motion',
    'live-video',
  ];
  const seen = new Set<string>();

  for (const name of examples) {
    test(`${name}.json: core nodes and ours, wired, with a comment and a valid network`, () => {
      const flow = JSON.parse(readFileSync(join(root, 'examples', `${name}.json`), 'utf8')) as Record<
        string,
        unknown
      >[];
      const ids = new Set(flow.map((n) => n.id));
      assert.equal(ids.size, flow.length, 'unique ids');
      assert.ok(
        flow.some((n) => n.type === 'comment'),
        'a comment explains the flow',
      );
      for (const node of flow) {
        const type = String(node.type);
        assert.ok(CORE.has(type) || type.startsWith('vstar-'), `only core nodes and ours: ${type}`);
        seen.add(type);
        for (const output of (node.wires as string[][] | undefined) ?? []) {
          for (const target of output) assert.ok(ids.has(target), `${String(node.id)} wires to ${target}`);
        }
        if ('network' in node) {
          const network = flow.find((n) => n.id === node.network);
          assert.equal(network?.type, 'vstar-network', `${String(node.id)} names a network in the flow`);
        }
        if (type === 'vstar-network') {
          assert.equal(parseNetworkConfig(node).ok, true);
          assert.equal(node.targets, '255.255.255.255');
        }
        if (type === 'vstar-discover') assert.equal(parseDiscoverConfig(node).ok, true);
        if (type === 'vstar-session') assert.equal(parseSessionConfig(node).ok, true);
        if (type === 'vstar-heartbeat') assert.equal(parseHeartbeatConfig(node).ok, true);
        if (typeof node.device === 'string' && node.device !== '') {
          const device = flow.find((n) => n.id === node.device);
          assert.equal(device?.type, 'vstar-camera', `${String(node.id)} names a camera in the flow`);
        }
        if (type === 'vstar-camera') {
          assert.ok(!('credentials' in node), 'an example carries no credentials');
          assert.match(String(node.camera), /^[A-Z]{1,7}\d{1,10}[A-Z]{1,7}$/);
        }
        if (type === 'vstar-command') assert.equal(parseCommand(node).ok, true);
        if (type === 'vstar-motion') assert.ok(Number(node.interval) >= 0.2);
      }
    });
  }

  test('the new examples say how to try them: vstar-sim, Targets 127.255.255.255, the network to open', () => {
    for (const name of ['camera-commands', 'motion-alerts']) {
      const flow = JSON.parse(readFileSync(join(root, 'examples', `${name}.json`), 'utf8')) as Record<
        string,
        unknown
      >[];
      const comment = flow.find((n) => n.type === 'comment');
      const text = `${String(comment?.name)}\n${String(comment?.info)}`;
      assert.match(text, /`npx vstar-sim --count 3[^`]*`/, name);
      assert.match(text, /Targets to 127\.255\.255\.255/, name);
      const network = flow.find((n) => n.type === 'vstar-network');
      assert.ok(text.includes(`"${String(network?.name)}"`), `${name}: the comment names the network node to open`);
      const camera = flow.find((n) => n.type === 'vstar-camera');
      assert.ok(text.includes(`"${String(camera?.name)}"`), `${name}: the comment names the camera node to open`);
    }
  });

  test('every node of ours has an example', () => {
    for (const type of TYPES) assert.ok(seen.has(type), type);
  });

  test('importing several examples gives networks with distinct ids and descriptive names', () => {
    const networks = readdirSync(join(root, 'examples'))
      .filter((file) => file.endsWith('.json'))
      .flatMap((file) => JSON.parse(readFileSync(join(root, 'examples', file), 'utf8')) as Record<string, unknown>[])
      .filter((node) => node.type === 'vstar-network');
    const names = networks.map((n) => String(n.name));
    assert.equal(new Set(networks.map((n) => n.id)).size, networks.length, 'ids');
    assert.equal(new Set(names).size, names.length, `names: ${names.join(', ')}`);
    for (const name of names) assert.match(name, /\S+ \S+/, `"${name}" says which example it belongs to`);
  });
});

describe('editor wording and search', () => {
  const strings = (type: string): unknown =>
    JSON.parse(readFileSync(join(root, 'locales', 'en-US', `${type}.json`), 'utf8'));

  test('the ports have one name each, the same in the labels and the help', () => {
    const labels = lookup(strings('vstar-network'), 'vstar-network.label');
    assert.deepEqual(
      ['dhPort', 'searchPort', 'localDhPort', 'localPort'].map((key) => lookup(labels, key)),
      ['Discovery port (DH)', 'Session search port (PPPP)', 'Local discovery port', 'Local session port'],
    );
    const help = html('vstar-network').slice(html('vstar-network').indexOf('data-help-name'));
    assert.match(help, /<dt>Discovery port \(DH\) [\s\S]*8600/);
    assert.match(help, /<dt>Session search port \(PPPP\) [\s\S]*32108/);
    assert.match(help, /<dt>Local discovery port \/ Local session port /);
    for (const type of TYPES) {
      const text = html(type) + JSON.stringify(strings(type));
      assert.doesNotMatch(text, /\b(P2P port|Local search|Local P2P)\b|"Search port"|<dt>Search port/, type);
    }
  });

  test('palette search: every node type is found by "camera"; the package by "vstarcam" and "camera"', () => {
    // Node-RED's palette filter matches the type and the palette label (not the category).
    for (const type of TYPES) {
      assert.match(html(type), /paletteLabel: function \(\) \{\s*return this\._\('[\w-]+\.paletteLabel'\);/, type);
      assert.match(String(lookup(strings(type), `${type}.paletteLabel`)), /camera/, type);
    }
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { keywords: string[] };
    for (const word of ['node-red', 'vstarcam', 'camera']) assert.ok(pkg.keywords.includes(word), word);
  });

  test('discover, session, heartbeat and camera dialogs have a Scan button, all through one shared helper', () => {
    assert.match(html('vstar-network'), /window\.VStarCamEditor = \{\s*scan: function/);
    assert.match(
      html('vstar-network'),
      /window\.VStarCamEditor\.scan\(\{/,
      'the camera-target helper scans through it',
    );
    const nodes = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: object } })[
      'node-red'
    ].nodes;
    assert.equal(Object.keys(nodes)[0], 'vstar-network', 'the helpers load before the dialogs that use them');
    for (const type of ['vstar-discover', 'vstar-session', 'vstar-heartbeat', 'vstar-camera']) {
      const text = html(type);
      assert.match(text, new RegExp(`<button type="button" id="${type}-scan"`), type);
      assert.match(text, new RegExp(`id="${type}-results"`), type);
      // Session and heartbeat reach it through the shared camera-target helper, which scans.
      assert.match(text, /VStarCamEditor\.(scan\(\{|cameraTarget\(')/, type);
      assert.doesNotMatch(text, /vstar-p2p\/scan/, `${type} leaves the request to the helper`);
    }
  });
});
