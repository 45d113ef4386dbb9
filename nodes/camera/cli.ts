#!/usr/bin/env node
import { CameraEmulator } from './emulator';
import { type SimOptions, USAGE, parseSimArgs } from './cli-options';

/** Exit codes: 0 clean stop, 1 could not start (e.g. port in use), 2 bad command line. */
const EXIT_START_FAILED = 1;
const EXIT_USAGE = 2;

function main(): void {
  const command = parseSimArgs(process.argv.slice(2));
  switch (command.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'error':
      process.stderr.write(`vstar-sim: ${command.message}\nTry vstar-sim --help.\n`);
      process.exitCode = EXIT_USAGE;
      return;
    case 'run':
      run(command.options).catch((err: unknown) => {
        process.stderr.write(`vstar-sim: ${describe(err)}\n`);
        process.exit(EXIT_START_FAILED);
      });
  }
}

async function run(options: SimOptions): Promise<void> {
  const emulator = await CameraEmulator.start({
    firstAddress: options.address,
    dhPort: options.dhPort,
    searchPort: options.searchPort,
    broadcastAddress: options.broadcast,
    passphrase: options.passphrase,
    cameras: Array.from({ length: options.count }, () => ({
      user: options.user,
      password: options.password,
      login: options.login,
      silentOnBadLogin: options.silentOnBadLogin,
      motionEveryMs: options.motionEverySec * 1000,
      unsolicitedFrames: options.unsolicited,
      videoDropPercent: options.videoDropPercent,
      videoReorderPercent: options.videoReorderPercent,
      videoBitrateKbps: options.videoKbps,
    })),
  });
  for (const camera of emulator.cameras) process.stdout.write(`${JSON.stringify(camera.info())}\n`);
  process.stderr.write(
    `vstar-sim: ${emulator.cameras.length} camera(s), DH port ${emulator.dhPort}, search port ${emulator.searchPort}\n`,
  );
  process.stdout.write('ready\n');

  let rebooter: NodeJS.Timeout | undefined;
  const first = emulator.cameras[0];
  if (options.rebootEverySec > 0 && first) {
    rebooter = setInterval(() => {
      first
        .reboot()
        .then(() => process.stdout.write(`${JSON.stringify({ event: 'reboot', ...first.info() })}\n`))
        .catch((err: unknown) => process.stderr.write(`vstar-sim: reboot failed: ${describe(err)}\n`));
    }, options.rebootEverySec * 1000);
  }

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (rebooter) clearInterval(rebooter);
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`vstar-sim: ${describe(err)}\n`);
        process.exit(EXIT_START_FAILED);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EADDRINUSE' ? `${err.message} (is another emulator or camera app using the port?)` : err.message;
  }
  return String(err);
}

main();
