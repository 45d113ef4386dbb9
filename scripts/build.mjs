// Compiles nodes/ to dist/ and puts each node's editor HTML, the icons and the locales beside
// the compiled .js, where Node-RED looks for them.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, chmodSync, existsSync } from 'node:fs';
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
const cli = join(dist, 'camera', 'cli.js');
if (existsSync(cli)) chmodSync(cli, 0o755);
