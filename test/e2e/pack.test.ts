import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import {
  Admin,
  type Child,
  MODULE,
  NODE_TYPES,
  freeTcpPort,
  ourNodeSets,
  problemLines,
  requireDist,
  root,
  startNodeRed,
  tempDir,
  userDirectory,
} from './support';

/**
 * The package as the world gets it: `npm pack`, then `npm install <tarball>` into a fresh Node-RED
 * user directory (offline: the package has no runtime dependency), Node-RED started on it. Plus
 * the checks the Node-RED Flow Library's scorecard makes, run on the packed files.
 *
 * `npm pack --ignore-scripts`: prepack would rebuild dist/, deleting it under the other test file
 * running in parallel; `npm test` has just built it.
 */

const run = promisify(execFile);
const GUARD_MS = 60_000;

interface PackedFile {
  readonly path: string;
  readonly mode: number;
}

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  keywords?: string[];
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  repository?: { type?: string; url?: string } | string;
  bugs?: { url?: string } | string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}

/** npm itself: the one running `npm test` if any, else the one installed beside this node. */
function npmCli(): string[] {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return [process.execPath, fromNpm];
  const beside = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return existsSync(beside) ? [process.execPath, beside] : ['npm'];
}

async function npm(args: readonly string[], cwd: string): Promise<string> {
  const [command = 'npm', ...prefix] = npmCli();
  try {
    const { stdout } = await run(command, [...prefix, ...args], {
      cwd,
      timeout: GUARD_MS,
      maxBuffer: 16 * 1024 * 1024,
      // Not the settings of an outer `npm test` (its cwd, its scripts): a plain npm in `cwd`.
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

let dir: string;
let files: string[];
let modes: Map<string, number>;
let installed: string;
let userDir: string | undefined;
let pkg: PackageJson;
let red: Child | undefined;
let admin: Admin;

before(async () => {
  requireDist();
  dir = tempDir('vstar-pack-');
  const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root)) as {
    filename: string;
    files: PackedFile[];
  }[];
  const result = packed[0];
  assert.ok(result, 'npm pack packed nothing');
  files = result.files.map((f) => f.path).sort();
  modes = new Map(result.files.map((f) => [f.path, f.mode]));
  const tarball = join(dir, result.filename);

  const port = await freeTcpPort();
  userDir = userDirectory('vstar-pack-user-', port, false);
  await npm(
    ['install', tarball, '--offline', '--no-audit', '--no-fund', '--cache', join(dir, 'npm-cache'), '--loglevel=error'],
    userDir,
  );
  installed = join(userDir, 'node_modules', MODULE);
  pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as PackageJson;

  red = startNodeRed(userDir);
  admin = new Admin(port);
  await red.waitForLine(/Started flows/);
});

after(async () => {
  await red?.killGroup();
  for (const path of [dir, userDir]) if (path) rmSync(path, { recursive: true, force: true });
});

/** Every file under `folder`, relative to it. */
function walk(folder: string, base = folder): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? walk(path, base) : [relative(base, path)];
  });
}

function url(field: PackageJson['repository'] | PackageJson['bugs']): string {
  return typeof field === 'string' ? field : (field?.url ?? '');
}

function nodeHtml(type: string): string {
  return readFileSync(join(installed, 'dist', `${type}.html`), 'utf8');
}

/** The node types that are configuration nodes (category 'config' in the editor definition). */
function isConfigNode(type: string): boolean {
  return /category:\s*'config'/.test(nodeHtml(type));
}

describe('npm pack', () => {
  test('the tarball holds the compiled nodes, editor files, icons, locales, examples, README and LICENSE', () => {
    for (const type of NODE_TYPES) {
      for (const file of [`dist/${type}.js`, `dist/${type}.html`, `dist/locales/en-US/${type}.json`]) {
        assert.ok(files.includes(file), `${file} is packed`);
      }
    }
    for (const folder of ['dist/icons/', 'dist/locales/', 'examples/']) {
      assert.ok(
        files.some((f) => f.startsWith(folder)),
        `${folder} is packed`,
      );
    }
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/engine/index.js', 'dist/camera/cli.js']) {
      assert.ok(files.includes(file), `${file} is packed`);
    }
    // The vstar-sim command is executable as packed.
    assert.equal((modes.get('dist/camera/cli.js') ?? 0) & 0o111, 0o111, 'dist/camera/cli.js is executable');
  });

  test('and nothing else: no tests, benchmarks, demo dir, TypeScript sources, scripts or node_modules', () => {
    const unwanted = files.filter(
      (f) =>
        /^(test|bench|scripts|nodes|\.demo|\.tmp|\.ci|coverage|node_modules|docs)\//.test(f) ||
        f.includes('/node_modules/') ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
        /\.test\.|\.tgz$|^tsconfig|^eslint|^\.(git|prettier)/.test(f),
    );
    assert.deepEqual(unwanted, []);
    assert.ok(
      files.every((f) => /^(dist|examples)\//.test(f) || /^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(f)),
      `unexpected top-level files: ${files.filter((f) => !f.includes('/')).join(', ')}`,
    );
  });

  test('no source maps; type declarations only for the library entry (`types`) and what it imports', () => {
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map')),
      [],
    );
    const entry = pkg.types ?? '';
    assert.ok(files.includes(entry), `types ${entry} is packed`);
    const reachable = new Set<string>();
    const pending = [entry];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      if (reachable.has(file)) continue;
      assert.ok(files.includes(file), `${file} (imported by a packed declaration) is packed`);
      reachable.add(file);
      const text = readFileSync(join(installed, file), 'utf8');
      for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = join(dirname(file), match[1] ?? '');
        pending.push(files.includes(`${target}.d.ts`) ? `${target}.d.ts` : join(target, 'index.d.ts'));
      }
    }
    assert.deepEqual(files.filter((f) => f.endsWith('.d.ts')).sort(), [...reachable].sort());
    for (const nodeFile of [...NODE_TYPES.map((t) => `dist/${t}.d.ts`), 'dist/camera/cli.d.ts']) {
      assert.ok(!files.includes(nodeFile), `${nodeFile} is left out`);
    }
  });

  test('npm install of the tarball gives exactly the packed files', () => {
    assert.deepEqual(walk(installed).sort(), files);
  });
});

describe('Flow Library scorecard, on the packed package.json and files', () => {
  test('name, licence, repository, bugs and the node-red keyword', () => {
    assert.match(pkg.name, /^node-red-contrib-/);
    assert.equal(typeof pkg.license, 'string');
    assert.notEqual(pkg.license, '');
    assert.ok(files.includes('LICENSE'));
    assert.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), new RegExp(String(pkg.license)));
    assert.match(url(pkg.repository), /^(git\+)?https:\/\//);
    assert.match(url(pkg.bugs), /^https:\/\//);
    assert.ok(pkg.keywords?.includes('node-red'), 'keyword node-red');
  });

  test('node-red.version covers Node-RED 3.1, 4.1 and 5.0; engines.node covers Node.js 20 and 22', () => {
    const nodeRed = pkg['node-red']?.version ?? '';
    assert.ok(semver.validRange(nodeRed), `node-red.version "${nodeRed}" is a semver range`);
    for (const version of ['3.1.0', '4.1.8', '5.0.7']) {
      assert.ok(semver.satisfies(version, nodeRed), `node-red.version "${nodeRed}" admits ${version}`);
    }
    const engine = pkg.engines?.node ?? '';
    assert.ok(semver.validRange(engine), `engines.node "${engine}" is a semver range`);
    for (const version of ['20.0.0', '22.9.0']) {
      assert.ok(semver.satisfies(version, engine), `engines.node "${engine}" admits ${version}`);
    }
  });

  test('at most 6 runtime dependencies', () => {
    assert.ok(Object.keys(pkg.dependencies ?? {}).length <= 6, JSON.stringify(pkg.dependencies));
  });

  test('node-red.nodes lists every node, each compiled and packed', () => {
    const nodes = pkg['node-red']?.nodes ?? {};
    assert.deepEqual(Object.keys(nodes).sort(), [...NODE_TYPES].sort());
    for (const [type, file] of Object.entries(nodes)) {
      assert.equal(file, `dist/${type}.js`);
      assert.ok(files.includes(file), `${file} is packed`);
    }
    assert.ok(pkg.main && files.includes(pkg.main), `main ${pkg.main} is packed`);
    for (const bin of Object.values(pkg.bin ?? {})) assert.ok(files.includes(bin), `bin ${bin} is packed`);
  });

  test("each node's HTML registers exactly its own type once, in a text/javascript script, with help", () => {
    for (const type of NODE_TYPES) {
      const html = nodeHtml(type);
      const all = [...html.matchAll(/RED\.nodes\.registerType\(/g)];
      assert.equal(all.length, 1, `${type}.html calls registerType once`);
      const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
      const registering = scripts.filter((s) =>
        new RegExp(`RED\\.nodes\\.registerType\\('${type}',\\s*\\{`).test(s ?? ''),
      );
      assert.equal(registering.length, 1, `${type}.html registers '${type}' inside <script type="text/javascript">`);
      assert.match(html, new RegExp(`<script type="text/html" data-template-name="${type}">`));
      const help = new RegExp(`<script type="text/html" data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html);
      assert.ok(help, `${type} has help (data-help-name)`);
      assert.ok((help[1] ?? '').trim().length > 100, `${type}'s help says something`);
    }
  });

  test('each node has en-US strings under its own name', () => {
    for (const type of NODE_TYPES) {
      const strings = JSON.parse(
        readFileSync(join(installed, 'dist', 'locales', 'en-US', `${type}.json`), 'utf8'),
      ) as Record<string, unknown>;
      assert.equal(typeof strings[type], 'object', `locales/en-US/${type}.json has a "${type}" section`);
    }
  });

  test('every non-config node type appears in an example flow, and every example parses', () => {
    const examples = readdirSync(join(installed, 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(examples.length > 0);
    const used = new Set<string>();
    for (const file of examples) {
      const flow = JSON.parse(readFileSync(join(installed, 'examples', file), 'utf8')) as unknown;
      assert.ok(Array.isArray(flow), `${file} is a flow (an array of nodes)`);
      for (const node of flow as { type?: unknown }[]) if (typeof node.type === 'string') used.add(node.type);
    }
    const nonConfig = NODE_TYPES.filter((t) => !isConfigNode(t));
    assert.deepEqual(nonConfig.sort(), NODE_TYPES.filter((t) => !['vstar-network', 'vstar-camera'].includes(t)).sort());
    for (const type of nonConfig) assert.ok(used.has(type), `an example uses ${type}`);
  });
});

describe('installed from the tarball into a fresh Node-RED', () => {
  test('GET /nodes lists every type in this module, enabled, without error', async () => {
    const sets = await ourNodeSets(admin);
    for (const type of NODE_TYPES) {
      const set = sets.get(type);
      assert.ok(set, `GET /nodes lists ${type}`);
      assert.equal(set.module, MODULE);
      assert.equal(set.version, pkg.version);
      assert.equal(set.enabled, true);
      assert.equal(set.err, undefined, `${type}: ${JSON.stringify(set.err)}`);
    }
    assert.deepEqual(problemLines(red?.lines ?? []), []);
  });

  test('the examples are offered under Import → Examples', async () => {
    const base = `/library/examples/flows/${MODULE}`;
    const listing = JSON.stringify(await admin.getJson(base));
    for (const file of readdirSync(join(installed, 'examples'))) {
      assert.ok(listing.includes(file.replace(/\.json$/, '')), `${file} listed in ${listing}`);
    }
    const demo = await admin.getJson(`${base}/demo-with-emulator`);
    assert.ok(Array.isArray(demo), 'the demo example is served as a flow');
  });

  test('the editor gets each node’s HTML, help and strings from the installed copy', async () => {
    const response = await fetch(admin.url('/nodes'), { headers: { Accept: 'text/html' } });
    const html = await response.text();
    for (const type of NODE_TYPES) {
      assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\('${type}'`));
      assert.match(html, new RegExp(`data-help-name="${type}"`));
    }
    const strings = (await admin.getJson(`/locales/${MODULE}/vstar-session?lng=en-US`)) as Record<string, unknown>;
    assert.equal(typeof strings['vstar-session'], 'object', JSON.stringify(strings).slice(0, 200));
  });

  test('the package loads on its own: main and the vstar-sim command need nothing from devDependencies', async () => {
    const probe = join(dir, 'probe.cjs');
    writeFileSync(
      probe,
      `const engine = require(${JSON.stringify(installed)});\n` +
        `process.stdout.write(typeof engine.Endpoint + ' ' + typeof engine.parseCameraSpec);\n`,
    );
    const main = await run(process.execPath, [probe], { cwd: dir, timeout: GUARD_MS });
    assert.equal(main.stdout, 'function function');
    // A TypeScript user of the library: the packed declarations are complete and strict-clean.
    const consumer = join(dir, 'consumer.ts');
    writeFileSync(
      consumer,
      `import { Endpoint, parseCameraSpec, type CameraRecord } from ${JSON.stringify(installed)};\n` +
        `const spec = parseCameraSpec('VSTB-668515-UZCPK');\n` +
        `export const records: CameraRecord[] = [];\n` +
        `export const uses = [Endpoint, spec];\n`,
    );
    await run(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--module',
        'commonjs',
        '--moduleResolution',
        'node',
        '--target',
        'ES2022',
        '--types',
        'node',
        '--typeRoots',
        join(root, 'node_modules', '@types'),
        consumer,
      ],
      { cwd: dir, timeout: GUARD_MS },
    );
    const bin = join(installed, '..', '.bin', 'vstar-sim');
    const help = await run(bin, ['--help'], { cwd: dir, timeout: GUARD_MS });
    assert.match(help.stdout, /^Usage: vstar-sim/);
  });
});
