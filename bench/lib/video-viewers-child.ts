/**
 * The video benchmark's HTTP viewers, in their own process so their CPU is not the relay's: each
 * `open` makes `count` GET requests to `url` (one connection each, no agent) and reads the
 * bodies as fast as they come, counting bytes.
 *
 *   in:  {"id":1,"cmd":"open","url":"http://127.0.0.1:P/cam/0/video.mp4","count":10}
 *        {"id":2,"cmd":"bytes"}     -> {"total":B,"least":B} (least: the slowest viewer's bytes)
 *        {"id":3,"cmd":"close-all"}
 */
import http from 'node:http';
import { type JsonObject, serveJsonLines } from './json-child';

interface Viewer {
  readonly request: http.ClientRequest;
  bytes: number;
}

const viewers: Viewer[] = [];

function open(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false });
    const viewer: Viewer = { request, bytes: 0 };
    viewers.push(viewer);
    request.once('error', reject);
    request.once('response', (response) => {
      if (response.statusCode !== 200) return reject(new Error(`${url}: HTTP ${response.statusCode ?? '?'}`));
      response.on('data', (chunk: Buffer) => (viewer.bytes += chunk.length));
      response.on('error', () => undefined);
      resolve();
    });
  });
}

async function handle(cmd: string, request: JsonObject): Promise<JsonObject> {
  switch (cmd) {
    case 'open': {
      const url = String(request.url);
      const count = Number(request.count);
      await Promise.all(Array.from({ length: count }, () => open(url)));
      return { viewers: viewers.length };
    }
    case 'bytes':
      return {
        total: viewers.reduce((sum, v) => sum + v.bytes, 0),
        least: viewers.reduce((least, v) => Math.min(least, v.bytes), Infinity),
      };
    case 'close-all':
      for (const viewer of viewers.splice(0)) viewer.request.destroy();
      return {};
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

serveJsonLines({}, handle, async () => {
  for (const viewer of viewers.splice(0)) viewer.request.destroy();
});
