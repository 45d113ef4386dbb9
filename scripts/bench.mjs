// `npm run bench`: runs bench/main.ts (TypeScript, through tsx), passing every argument on:
//   npm run bench                     full run, writes BENCHMARKS.md
//   npm run bench -- --smoke          every benchmark at tiny sizes (< 60 s)
//   npm run bench -- --only scale     one benchmark (comma-separate several)
// Every datagram goes to 127.0.0.0/8; CI runs it inside `unshare -n` like the tests.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'main.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
