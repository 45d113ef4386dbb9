import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetworkConfig } from '../../nodes/adapter/network-config';
import { parseDiscoverConfig, parseHeartbeatConfig, parseSessionConfig } from '../../nodes/adapter/node-config';

/** Static checks of what the editor loads: the HTML, its i18n keys, icons, and the example flows. */
const root = join(__dirname, '..', '..');
const TYPES = ['vstar-network', 'vstar-discover', 'vstar-session', 'vstar-heartbeat'] as const;

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
      if (type !== 'vstar-network') {
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
    const defaults = (type: string): Record<string, unknown> => {
      const text = html(type);
      const values: Record<string, unknown> = {};
      for (const m of text.matchAll(/^ {6}(\w+): \{\s*value: ('[^']*'|-?\d+(?:\.\d+)?|true|false)/gm)) {
        const raw = m[2] ?? '';
        values[m[1] ?? ''] = raw.startsWith("'") ? raw.slice(1, -1) : JSON.parse(raw);
      }
      return values;
    };
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
    assert.deepEqual(session, { name: '', network: '', camera: '', autoConnect: true, reconnect: true });
    assert.equal(parseSessionConfig(session).ok, true);
    const heartbeat = defaults('vstar-heartbeat');
    assert.deepEqual(heartbeat, { name: '', network: '', camera: '', interval: 5, misses: 3 });
    assert.equal(parseHeartbeatConfig(heartbeat).ok, true);
  });
});

describe('example flows', () => {
  const CORE = new Set(['inject', 'debug', 'switch', 'change', 'comment']);
  const examples = ['discover-cameras', 'session-alerts', 'heartbeat-monitor'];
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
      }
    });
  }

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

  test('discover, session and heartbeat dialogs have a Scan button, all through one shared helper', () => {
    assert.match(html('vstar-network'), /window\.VStarCamEditor = \{\s*scan: function/);
    for (const type of ['vstar-discover', 'vstar-session', 'vstar-heartbeat']) {
      const text = html(type);
      assert.match(text, new RegExp(`<button type="button" id="${type}-scan"`), type);
      assert.match(text, new RegExp(`id="${type}-results"`), type);
      assert.match(text, /VStarCamEditor\.scan\(\{/, type);
      assert.doesNotMatch(text, /vstar-p2p\/scan/, `${type} leaves the request to the helper`);
    }
  });
});
