// Issue 11 through a real Node-RED process: vstar-stream serves the emulator's video on
// Node-RED's own HTTP server, ffprobe reads video.mp4 and video.h264 with the clip's size and
// frame rate, snapshot.jpg is the emulator's JPEG byte for byte, and headless chromium plays
// the player page. ffprobe and chromium are Debian's; each check skips with a message where its
// tool is missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { type CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import { CLIP_FRAME_RATE, CLIP_HEIGHT, CLIP_WIDTH, loadSnapshot } from '../../nodes/camera/media/clip';
import { type Admin, nodeRedWithOneCamera, waitUntil } from './support';

const run = promisify(execFile);
const CHROMIUM = process.env.VSTAR_CHROMIUM ?? '/usr/bin/chromium';
const PATH = 'yard';
const SCREENSHOT = process.env.VSTAR_SCREENSHOT;

let emu: CameraEmulator;
let camera: EmulatedCamera;
let admin: Admin;

async function which(tool: string): Promise<boolean> {
  try {
    await run(tool, ['-version']);
    return true;
  } catch {
    return false;
  }
}

function flow(): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'live video', disabled: false, info: '' },
    // prettier-ignore
    { id: 'net', type: 'vstar-network', name: 'loopback', bind: '0.0.0.0', targets: '127.255.255.255', dhPort: String(emu.dhPort), searchPort: String(emu.searchPort), localDhPort: '0', localPort: '0', timeout: '3', passphrases: '' },
    {
      id: 'cam',
      type: 'vstar-camera',
      name: 'Yard',
      network: 'net',
      camera: camera.uid,
      credentials: { username: 'admin', password: 'v1deo-pass' },
    },
    // prettier-ignore
    { id: 'stream', type: 'vstar-stream', z: 'tab', name: '', device: 'cam', substream: 1, path: PATH, x: 200, y: 80, wires: [['remember']] },
    // The node's messages are kept in flow context and read back over HTTP.
    // prettier-ignore
    { id: 'remember', type: 'function', z: 'tab', name: 'remember events', func: "const seen = flow.get('events') || [];\nseen.push({ event: msg.event, topic: msg.topic });\nflow.set('events', seen);\nreturn null;", outputs: 1, x: 400, y: 80, wires: [[]] },
    // prettier-ignore
    { id: 'ask', type: 'http in', z: 'tab', name: '', url: '/stream-events', method: 'get', upload: false, swaggerDoc: '', x: 200, y: 140, wires: [['answer']] },
    // prettier-ignore
    { id: 'answer', type: 'function', z: 'tab', name: 'events so far', func: "msg.payload = flow.get('events') || [];\nreturn msg;", outputs: 1, x: 400, y: 140, wires: [['reply']] },
    { id: 'reply', type: 'http response', z: 'tab', name: '', statusCode: '', headers: {}, x: 580, y: 140, wires: [] },
  ];
}

function url(file: string): string {
  return admin.url(`/vstar/${PATH}/${file}`);
}

interface Probed {
  readonly codec_name: string;
  readonly width: number;
  readonly height: number;
  readonly avg_frame_rate: string;
  readonly r_frame_rate: string;
}

async function probe(file: string): Promise<Probed> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-rw_timeout', '15000000', '-show_streams', '-of', 'json', url(file)],
    { timeout: 30_000 },
  );
  const stream = (JSON.parse(stdout) as { streams: Probed[] }).streams[0];
  assert.ok(stream, `${file}: a stream`);
  return stream;
}

function rate(text: string): number {
  const [num = '0', den = '1'] = text.split('/');
  return Number(num) / Number(den);
}

let stop: (() => Promise<void>) | undefined;

before(async () => {
  ({ admin, emu, camera, stop } = await nodeRedWithOneCamera('vstar-video-', '127.0.43.1', {
    name: 'Yard',
    password: 'v1deo-pass',
  }));
  await admin.deploy(flow(), 'full');
});

after(() => stop?.());

test('snapshot.jpg is the camera JPEG, byte for byte', async () => {
  const body = await waitUntil(
    async () => {
      const response = await fetch(url('snapshot.jpg'));
      return response.ok ? Buffer.from(await response.arrayBuffer()) : undefined;
    },
    () => 'snapshot.jpg answered',
    20_000,
  );
  assert.deepEqual(body, loadSnapshot());
});

test('ffprobe reads video.mp4 and video.h264: H.264 at the clip size and frame rate; one camera stream for both', async (t) => {
  if (!(await which('ffprobe'))) return t.skip('ffprobe is not installed (apt-get install ffmpeg): skipped');
  const [mp4, h264] = await Promise.all([probe('video.mp4'), probe('video.h264')]);
  for (const [name, stream] of [
    ['video.mp4', mp4],
    ['video.h264', h264],
  ] as const) {
    assert.equal(stream.codec_name, 'h264', name);
    assert.equal(stream.width, CLIP_WIDTH, name);
    assert.equal(stream.height, CLIP_HEIGHT, name);
    const fps = rate(stream.avg_frame_rate) || rate(stream.r_frame_rate);
    assert.ok(Math.abs(fps - CLIP_FRAME_RATE) <= CLIP_FRAME_RATE * 0.1, `${name}: ${fps} fps`);
  }
  assert.ok(camera.stats.livestreamStarts >= 1, 'the camera streamed');
});

test('the camera stops streaming after the last viewer left; the node said stream-started and stream-stopped', async () => {
  await waitUntil(
    () => (camera.stats.livestreamStops >= 1 ? true : undefined),
    () => `livestream stop (starts ${camera.stats.livestreamStarts}, stops ${camera.stats.livestreamStops})`,
    20_000,
  );
  const events = await waitUntil(
    async () => {
      const seen = (await admin.getJson('/stream-events')) as { event: string; topic: string }[];
      return seen.some((e) => e.event === 'stream-stopped') ? seen : undefined;
    },
    () => 'stream-stopped from the node',
    10_000,
  );
  assert.deepEqual(events.map((e) => e.event).slice(0, 2), ['stream-started', 'stream-stopped']);
  assert.ok(events.every((e) => e.topic === camera.uid));
});

test('headless chromium plays the player page', async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} is not installed: browser check skipped`);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // prettier-ignore
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 800, height: 450 } });
    await page.goto(url(''));
    const first = await page.waitForFunction(
      () => {
        const video = document.querySelector('video');
        return video && video.currentTime > 0.5 ? { time: video.currentTime, width: video.videoWidth } : false;
      },
      undefined,
      { timeout: 20_000 },
    );
    const start = (await first.jsonValue()) as { time: number; width: number };
    assert.equal(start.width, CLIP_WIDTH);
    await page.waitForFunction(
      (before: number) => (document.querySelector('video')?.currentTime ?? 0) > before + 1,
      start.time,
      { timeout: 20_000 },
    );
    if (SCREENSHOT) await page.screenshot({ path: join(SCREENSHOT) });
  } finally {
    await browser?.close();
  }
});
