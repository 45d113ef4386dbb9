// Issue 10 through a real Node-RED process: every command of vstar-command runs from a flow
// against vstar-sim. The flow is an HTTP endpoint (`POST /cmd` → vstar-command → response, and
// a Catch node answering failures), so each command is one request and its answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import { type Admin, nodeRedWithOneCamera, waitUntil } from './support';

const PASSWORD = 'e2e-Pa55';
let emu: CameraEmulator;
let camera: EmulatedCamera;
let admin: Admin;

function flow(): object[] {
  const z = 'tab';
  return [
    { id: z, type: 'tab', label: 'commands', disabled: false, info: '' },
    // prettier-ignore
    { id: 'net', type: 'vstar-network', name: 'loopback', bind: '0.0.0.0', targets: '127.255.255.255', dhPort: String(emu.dhPort), searchPort: String(emu.searchPort), localDhPort: '0', localPort: '0', timeout: '3', passphrases: '' },
    // prettier-ignore
    { id: 'cam', type: 'vstar-camera', name: 'Desk', network: 'net', camera: camera.did, credentials: { username: 'admin', password: PASSWORD } },
    // prettier-ignore
    { id: 'in', type: 'http in', z, name: '', url: '/cmd', method: 'post', upload: false, swaggerDoc: '', x: 100, y: 60, wires: [['cmd']] },
    // prettier-ignore
    { id: 'cmd', type: 'vstar-command', z, name: '', device: 'cam', command: 'status', action: '', preset: 0, step: false, cgi: '', params: '', timeout: '3', x: 280, y: 60, wires: [['ok']] },
    // prettier-ignore
    { id: 'ok', type: 'change', z, name: '', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"event": event, "command": command, "payload": payload, "topic": topic}', tot: 'jsonata' }], x: 460, y: 60, wires: [['out']] },
    // prettier-ignore
    { id: 'catch', type: 'catch', z, name: '', scope: ['cmd'], uncaught: false, x: 280, y: 120, wires: [['failed']] },
    // prettier-ignore
    { id: 'failed', type: 'change', z, name: '', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"error": error.message}', tot: 'jsonata' }, { t: 'set', p: 'statusCode', pt: 'msg', to: '502', tot: 'num' }], x: 460, y: 120, wires: [['out']] },
    { id: 'out', type: 'http response', z, name: '', statusCode: '', headers: {}, x: 640, y: 90, wires: [] },
  ];
}

interface Answer {
  readonly status: number;
  readonly body: { event?: string; command?: string; payload?: Record<string, unknown>; error?: string };
}

async function send(payload: unknown): Promise<Answer> {
  // The http-in node makes the body msg.payload: a JSON object stays an object, text a string.
  const text = typeof payload === 'string';
  const response = await fetch(admin.url('/cmd'), {
    method: 'POST',
    headers: { 'Content-Type': text ? 'text/plain' : 'application/json' },
    body: text ? payload : JSON.stringify(payload),
  });
  const body = await response.text();
  try {
    return { status: response.status, body: JSON.parse(body) as Answer['body'] };
  } catch {
    return { status: response.status, body: { error: `not JSON: ${body.slice(0, 300)}` } };
  }
}

/** One command that must succeed; resolves with its answer's payload. */
async function command(payload: unknown): Promise<Record<string, unknown>> {
  const answer = await send(payload);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.event, 'response');
  return answer.body.payload ?? {};
}

let stop: (() => Promise<void>) | undefined;

before(async () => {
  ({ admin, emu, camera, stop } = await nodeRedWithOneCamera('vstar-commands-', '127.0.44.1', {
    name: 'Desk',
    password: PASSWORD,
  }));
  await admin.deploy(flow(), 'full');
  // POST /flows answers before the flow has started: its HTTP endpoint comes a moment later.
  await waitUntil(
    async () => ((await send('status')).status === 200 ? true : undefined),
    () => 'the flow answers on /cmd',
    20_000,
  );
});

after(() => stop?.());

test('failures reach a Catch node with a reason', async () => {
  const unsupported = await send({ command: 'raw', cgi: 'format_sd.cgi' });
  assert.equal(unsupported.status, 502);
  assert.match(String(unsupported.body.error), /does not support format_sd\.cgi/);
  const bad = await send({ command: 'ptz', action: 'sideways' });
  assert.match(String(bad.body.error), /action must be one of/);
});

test('every command from a flow reaches the emulated camera and answers', async () => {
  const state = camera.machine.state;
  const status = await command('status');
  assert.equal(status.deviceid, camera.uid);
  assert.ok('ntp_enable' in (await command('params')));
  assert.ok('ptz_x' in (await command('camera-params')));
  await command({ command: 'ptz', action: 'up', step: true });
  assert.ok(state.position(Date.now()).y > 0);
  await command({ command: 'ptz', action: 'preset-set', preset: 15 });
  await command({ command: 'ptz', action: 'centre' });
  await command({ command: 'ptz', action: 'preset-go', preset: 15 });
  assert.deepEqual(state.position(Date.now()), state.preset(15));
  await command({ command: 'ptz', action: 'patrol' });
  assert.ok(state.isMoving(Date.now()));
  await command({ command: 'ptz', action: 'stop' });
  for (const device of ['light', 'siren', 'infrared'] as const) {
    assert.equal((await command({ command: device, action: 'on' })).state, 'on');
    assert.equal(state[device], true, device);
    assert.equal((await command({ command: device, action: 'status' })).state, 'on');
    await command({ command: device, action: 'off' });
    assert.equal(state[device], false, device);
  }
  await command('time-sync');
  assert.ok(Math.abs(state.nowSeconds(Date.now()) - Date.now() / 1000) < 5);
  const raw = await command({ command: 'raw', cgi: 'get_status.cgi', params: {} });
  assert.equal(raw.deviceid, camera.uid);
  const portBefore = camera.httpPort;
  await command('reboot');
  await waitUntil(
    () => (camera.httpPort !== portBefore ? true : undefined),
    () => 'the camera rebooted (a new HTTP port)',
    10_000,
  );
});
