/**
 * Runs one benchmark in this (fresh) process and hands its result to the parent over IPC, so
 * every benchmark starts with a clean heap, no leftover sockets and its own file descriptors.
 */
import { BENCHMARKS } from './registry';

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const smoke = process.argv.includes('--smoke');
  const params: Record<string, number> = {};
  process.argv.forEach((arg, i) => {
    if (arg !== '--set') return;
    const [key, value] = (process.argv[i + 1] ?? '').split('=');
    if (key && value !== undefined) params[key] = Number(value);
  });
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (!bench) throw new Error(`no benchmark called ${name}`);
  const result = await bench.run({ smoke, params });
  if (process.send) process.send({ type: 'result', result });
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (process.send) process.send({ type: 'error', message }, () => process.exit(1));
    else {
      process.stderr.write(`${message}\n`);
      process.exit(1);
    }
  },
);
