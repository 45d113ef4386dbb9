import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
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
});
