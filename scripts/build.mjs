// Compiles nodes/ to dist/ and puts each node's editor HTML, the icons and the locales beside
// the compiled .js, where Node-RED looks for them. Type declarations are kept only for the
// library entry (package.json `types`: the engine) and the files it refers to; no source maps
// (tsconfig.build.json): a Node-RED user needs neither, and they would double the package.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, chmodSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
for (const file of readdirSync(join(root, 'nodes'))) {
  if (file.endsWith('.html')) cpSync(join(root, 'nodes', file), join(dist, file));
}
for (const folder of ['icons', 'locales']) {
  if (existsSync(join(root, folder))) cpSync(join(root, folder), join(dist, folder), { recursive: true });
}
// The emulator's test clip and snapshot (made with ffmpeg, see nodes/camera/media/clip.ts).
cpSync(join(root, 'nodes', 'camera', 'media'), join(dist, 'camera', 'media'), {
  recursive: true,
  filter: (path) => !path.endsWith('.ts'),
});
const cli = join(dist, 'camera', 'cli.js');
if (existsSync(cli)) chmodSync(cli, 0o755);

/** The .d.ts file `entry` and every declaration file it imports, directly or not. */
function declarationClosure(entry) {
  const found = new Set();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop();
    if (found.has(file)) continue;
    if (!existsSync(file)) throw new Error(`build: the declarations refer to ${file}, which tsc did not write`);
    found.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = join(dirname(file), match[1] ?? '');
      pending.push(existsSync(`${target}.d.ts`) ? `${target}.d.ts` : join(target, 'index.d.ts'));
    }
  }
  return found;
}

function filesUnder(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const { types } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const keep = declarationClosure(join(root, types));
for (const file of filesUnder(dist)) {
  if (file.endsWith('.d.ts') && !keep.has(file)) rmSync(file);
}
