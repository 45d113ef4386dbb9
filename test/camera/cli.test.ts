import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseSimArgs } from '../../nodes/camera/cli-options';
import { DH_PROBE, parseDhReply } from '../../nodes/wire/dh';
import { UdpClient, WAIT_MS, deadline } from './udp-client';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'nodes', 'camera', 'cli.ts');

function sim(args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT });
}

async function finish(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit', deadline())) as [number | null];
  return { code, stdout, stderr };
}

/** Lines of stdout up to and including `ready`. */
async function linesUntilReady(child: ChildProcessWithoutNullStreams): Promise<string[]> {
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS * 3);
  try {
    for await (const line of reader) {
      lines.push(line);
      if (line === 'ready') return lines;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`vstar-sim ended before ready: ${lines.join(' | ')}`);
}

/** Resolves with the first match of `pattern` in the child's stderr so far. */
function stderrMatch(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr: ${text}`)), WAIT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

test('vstar-sim prints one JSON line per camera, then ready, answers probes, and exits 0 on SIGTERM', async () => {
  const child = sim(['--count', '2', '--dh-port', '0', '--search-port', '0']);
  const exited = once(child, 'exit');
  const summary = stderrMatch(child, /DH port (\d+)/);
  try {
    const lines = await linesUntilReady(child);
    assert.equal(lines.length, 3);
    const cameras = lines.slice(0, 2).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const [i, camera] of cameras.entries()) {
      assert.deepEqual(Object.keys(camera).sort(), ['did', 'httpPort', 'ip', 'mac', 'sessionPort', 'uid']);
      assert.equal(camera['ip'], `127.0.0.${2 + i}`);
      assert.equal(typeof camera['sessionPort'], 'number');
    }
    const dhPort = Number((await summary)[1]);
    assert.ok(dhPort > 0);
    const client = await UdpClient.open();
    try {
      client.send(DH_PROBE, { address: '127.0.0.3', port: dhPort });
      const [reply] = await client.take(1);
      const parsed = parseDhReply(reply?.data ?? Buffer.alloc(0));
      assert.ok(parsed.ok);
      assert.equal(parsed.value.uid, cameras[1]?.['uid']);
    } finally {
      await client.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, null);
  assert.equal(code, 0);
});

test('vstar-sim --help prints the usage and exits 0', async () => {
  const result = await finish(sim(['--help']));
  assert.equal(result.code, 0);
  for (const option of [
    '--count',
    '--address',
    '--dh-port',
    '--search-port',
    '--passphrase',
    '--reboot-every',
    '--broadcast',
    '--allow-non-loopback',
    '--user',
    '--password',
    '--login',
    '--silent-on-bad-login',
    '--motion-every',
    '--no-unsolicited',
    '--video-drop',
    '--video-reorder',
    'Example',
  ]) {
    assert.ok(result.stdout.includes(option), `usage mentions ${option}`);
  }
});

test('vstar-sim refuses a non-loopback address with exit code 2', async () => {
  const result = await finish(sim(['--address', '10.0.0.1']));
  assert.equal(result.code, 2);
  assert.match(result.stderr, /127\.0\.0\.0\/8.*--allow-non-loopback/);
  assert.equal(result.stdout, '');
});

test('vstar-sim rejects unknown options with exit code 2', async () => {
  const result = await finish(sim(['--frobnicate']));
  assert.equal(result.code, 2);
  assert.match(result.stderr, /frobnicate/);
});

test('option parsing: defaults', () => {
  assert.deepEqual(parseSimArgs([]), {
    kind: 'run',
    options: {
      count: 1,
      address: '127.0.0.2',
      dhPort: 8600,
      searchPort: 32108,
      passphrase: undefined,
      rebootEverySec: 0,
      broadcast: '127.255.255.255',
      user: 'admin',
      password: '888888',
      login: 'plain',
      silentOnBadLogin: false,
      motionEverySec: 0,
      unsolicited: true,
      videoDropPercent: 0,
      videoReorderPercent: 0,
      videoKbps: 0,
    },
  });
});

test('option parsing: every option', () => {
  const parsed = parseSimArgs([
    '--count=4',
    '--address',
    '127.1.0.10',
    '--dh-port',
    '0',
    '--search-port',
    '0',
    '--passphrase',
    'vstarcam2019',
    '--reboot-every',
    '30',
    '--broadcast',
    '127.1.255.255',
    '--user',
    'ops',
    '--password',
    '',
    '--login',
    'eye4',
    '--silent-on-bad-login',
    '--motion-every',
    '20',
    '--no-unsolicited',
    '--video-drop',
    '5',
    '--video-reorder=2.5',
    '--video-kbps',
    '3000',
  ]);
  assert.deepEqual(parsed, {
    kind: 'run',
    options: {
      count: 4,
      address: '127.1.0.10',
      dhPort: 0,
      searchPort: 0,
      passphrase: 'vstarcam2019',
      rebootEverySec: 30,
      broadcast: '127.1.255.255',
      user: 'ops',
      password: '',
      login: 'eye4',
      silentOnBadLogin: true,
      motionEverySec: 20,
      unsolicited: false,
      videoDropPercent: 5,
      videoReorderPercent: 2.5,
      videoKbps: 3000,
    },
  });
  assert.equal(parseSimArgs(['-h']).kind, 'help');
});

test('option parsing: safety and range checks', () => {
  const error = (args: string[]): string => {
    const parsed = parseSimArgs(args);
    return parsed.kind === 'error' ? parsed.message : `accepted: ${JSON.stringify(parsed)}`;
  };
  assert.match(error(['--broadcast', '192.168.1.255']), /--allow-non-loopback/);
  assert.match(error(['--address', '127.255.255.250', '--count', '20']), /127\.0\.0\.0\/8|broadcast/);
  assert.match(error(['--address', '127.255.255.254', '--count', '3', '--broadcast', '127.0.0.255']), /leave 127/);
  assert.match(error(['--count', '0']), /--count/);
  assert.match(error(['--count', '2.5']), /--count/);
  assert.match(error(['--dh-port', '70000']), /--dh-port/);
  assert.match(error(['--address', 'camera.local']), /not an IPv4/);
  assert.match(error(['--passphrase', '']), /empty/);
  assert.match(error(['--user', '']), /--user/);
  assert.match(error(['--user', 'u'.repeat(65)]), /--user/);
  assert.match(error(['--password', 'p'.repeat(65)]), /--password/);
  assert.match(error(['--login', 'cloud']), /--login must be plain or eye4/);
  assert.match(error(['--motion-every', '-5']), /--motion-every/);
  assert.match(error(['--motion-every', '1.5']), /--motion-every/);
  assert.match(error(['--video-drop', '101']), /--video-drop/);
  assert.match(error(['--video-reorder', '-1']), /--video-reorder/);
  assert.match(error(['--video-kbps', '60000']), /--video-kbps/);
  assert.match(error(['--video-kbps', '2.5']), /--video-kbps/);
  assert.match(error(['stray']), /positional|Unexpected/i);
  const lan = parseSimArgs(['--address', '192.168.1.50', '--broadcast', '192.168.1.255', '--allow-non-loopback']);
  assert.equal(lan.kind, 'run');
});
