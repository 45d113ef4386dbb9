import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { Fmp4Muxer, type MuxerChunk } from '../../nodes/video/fmp4-muxer';
import { CLIP_FRAME_RATE, CLIP_HEIGHT, CLIP_WIDTH, loadClipFrames } from '../../nodes/camera/media/clip';
import { MEDIA_FOLDER } from '../video/helpers';

/**
 * The muxer's output in a real browser's Media Source Extensions: Chromium appends the init
 * segment and every fragment to a SourceBuffer without an error, buffers the clip's whole
 * duration and reports the clip's picture size. Needs Debian's chromium (as test/browser does);
 * skipped without it. No network: the page is set from a string.
 */
const CHROMIUM = process.env.VSTAR_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed: MSE test skipped`;

interface MseReport {
  readonly supported: boolean;
  readonly error?: string;
  readonly buffered: [number, number][];
  readonly width: number;
  readonly height: number;
}

function muxClip(maxSamplesPerFragment: number): MuxerChunk[] {
  const muxer = new Fmp4Muxer({ maxSamplesPerFragment });
  const chunks = loadClipFrames(MEDIA_FOLDER).flatMap(
    (frame, i) => muxer.push({ data: frame.data, timeMs: Math.round((i * 1000) / CLIP_FRAME_RATE) }).chunks,
  );
  return [...chunks, ...muxer.flush()];
}

/** Runs in the page: appends each chunk in order, then reports what the video element saw. */
async function appendInPage({ codec, chunks }: { codec: string; chunks: string[] }): Promise<MseReport> {
  const mime = `video/mp4; codecs="${codec}"`;
  if (!MediaSource.isTypeSupported(mime)) return { supported: false, buffered: [], width: 0, height: 0 };
  const video = document.createElement('video');
  video.muted = true;
  document.body.append(video);
  const source = new MediaSource();
  video.src = URL.createObjectURL(source);
  await new Promise((resolve) => source.addEventListener('sourceopen', resolve, { once: true }));
  const buffer = source.addSourceBuffer(mime);
  try {
    for (const chunk of chunks) {
      const bytes = Uint8Array.from(atob(chunk), (c) => c.charCodeAt(0));
      await new Promise<void>((resolve, reject) => {
        buffer.addEventListener('updateend', () => resolve(), { once: true });
        buffer.addEventListener('error', () => reject(new Error('SourceBuffer error')), { once: true });
        buffer.appendBuffer(bytes);
      });
    }
    if (video.readyState < 1)
      await new Promise((resolve) => video.addEventListener('loadedmetadata', resolve, { once: true }));
  } catch (error) {
    return { supported: true, error: String(error), buffered: [], width: 0, height: 0 };
  }
  const buffered: [number, number][] = [];
  for (let i = 0; i < buffer.buffered.length; i++) buffered.push([buffer.buffered.start(i), buffer.buffered.end(i)]);
  return { supported: true, buffered, width: video.videoWidth, height: video.videoHeight };
}

describe('Media Source Extensions accept the muxed clip', { skip }, () => {
  let browser: Browser | undefined;

  test('Chromium buffers all four seconds at 640x360, one or thirty frames per fragment', async (t) => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><body></body>');
      for (const perFragment of [1, 30]) {
        const chunks = muxClip(perFragment);
        const init = chunks[0];
        assert.ok(init?.kind === 'init');
        const report = await page.evaluate(appendInPage, {
          codec: init.codec,
          chunks: chunks.map((c) => c.bytes.toString('base64')),
        });
        if (!report.supported) {
          t.skip(`this chromium has no H.264 (${init.codec})`);
          return;
        }
        assert.equal(report.error, undefined);
        assert.deepEqual([report.width, report.height], [CLIP_WIDTH, CLIP_HEIGHT]);
        assert.equal(report.buffered.length, 1, JSON.stringify(report.buffered));
        const [start, end] = report.buffered[0] ?? [0, 0];
        assert.ok(start < 0.1 && Math.abs(end - 4) < 0.1, JSON.stringify(report.buffered));
      }
    } finally {
      await browser.close();
    }
  });
});
