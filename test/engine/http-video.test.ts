import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import { type CameraLink } from '../../nodes/engine/camera-link';
import { Endpoint } from '../../nodes/engine/endpoint';
import { VideoStream } from '../../nodes/engine/video-stream';
import { VIDEO_CONTENT_TYPES, type VideoFormat, pipeVideo } from '../../nodes/video/http-stream';
import { nextEvent } from '../support/events';

// Every datagram and connection in this file stays on 127.0.0.0/8; ports come from bind(0)/listen(0).
const ADMIN = { user: 'admin', password: '888888' };

interface ProbedStream {
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
}

function ffprobe(url: string): Promise<ProbedStream[] | 'missing'> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-show_streams', '-of', 'json', url],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return resolve('missing');
        if (error) return reject(new Error(`ffprobe failed: ${stderr || error.message}`));
        resolve((JSON.parse(stdout) as { streams: ProbedStream[] }).streams);
      },
    );
  });
}

function rate(text: string | undefined): number {
  const [num = NaN, den = NaN] = (text ?? '').split('/').map(Number);
  return num / den;
}

describe('live video over HTTP, probed by ffprobe', () => {
  let emu: CameraEmulator;
  let endpoint: Endpoint;
  let camera: EmulatedCamera;
  let link: CameraLink;
  let stream: VideoStream;
  let server: http.Server;
  let port: number;

  before(async () => {
    emu = await CameraEmulator.start({ cameras: 1, firstAddress: '127.0.12.1', dhPort: 0, searchPort: 0 });
    [camera] = emu.cameras as [EmulatedCamera];
    endpoint = new Endpoint({
      bind: '0.0.0.0',
      targets: ['127.255.255.255'],
      dhPort: emu.dhPort,
      searchPort: emu.searchPort,
      timeoutMs: 2000,
      handshakeTimeoutMs: 3000,
    });
    await endpoint.ready();
    const made = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
    assert.ok(made);
    link = made;
    link.connect();
    if (!link.connected) await nextEvent(link, 'connected');
    stream = new VideoStream(link, { credentials: ADMIN, substream: 1, timeoutMs: 5000, stopDelayMs: 0 });
    server = http.createServer((request, response) => {
      const format: VideoFormat | undefined =
        request.url === '/video.mp4' ? 'mp4' : request.url === '/video.h264' ? 'h264' : undefined;
      if (!format) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': VIDEO_CONTENT_TYPES[format] });
      pipeVideo(stream.addViewer(), response, format, stream.parameterSets);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    stream.close();
    await endpoint.close();
    await emu.close();
  });

  for (const format of ['mp4', 'h264'] as const) {
    test(`video.${format} is H.264 at 640x360 and 15 frames/s`, async (t) => {
      const streams = await ffprobe(`http://127.0.0.1:${port}/video.${format}`);
      if (streams === 'missing') {
        t.skip('ffprobe is not installed');
        return;
      }
      const [video] = streams;
      assert.equal(video?.codec_name, 'h264');
      assert.equal(video?.width, 640);
      assert.equal(video?.height, 360);
      const fps = rate(video?.r_frame_rate);
      assert.ok(Math.abs(fps - 15) <= 1.5, `frame rate ${video?.r_frame_rate}`);
    });
  }
});
