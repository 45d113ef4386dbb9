/**
 * One relay of the video benchmark in its own process, so its CPU and RSS are its own: `engine`
 * (Endpoint + VideoStream + pipeVideo, bench/lib/engine-video-relay.ts) or `bare` (hand-built
 * PPPP, payloads straight to the responses, bench/lib/bare-video-relay.ts), with a plain
 * `http.createServer` on 127.0.0.1 serving `/cam/<i>/video.mp4` and `/cam/<i>/video.h264`.
 *
 *   argv: --kind engine|bare --cameras ip,ip,... --dh-port P --search-port Q
 *   out:  {"type":"ready","port":HTTP port,...} once every camera is connected
 *   in:   {"id":1,"cmd":"begin"}  opens the measurement window
 *         {"id":2,"cmd":"end"}    closes it: CPU share, RSS, latency, counters over the window
 */
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { VIDEO_CONTENT_TYPES } from '../../nodes/video/http-stream';
import { BareVideoRelay } from './bare-video-relay';
import { EngineVideoRelay } from './engine-video-relay';
import { type JsonObject, failStart, serveJsonLines } from './json-child';
import { cpuMicros, now } from './util';

const PATH = /^\/cam\/(\d+)\/video\.(mp4|h264)$/;

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const kind = arg('--kind', 'engine');
  const ips = arg('--cameras', '').split(',').filter(Boolean);
  const dhPort = Number(arg('--dh-port', '0'));
  const searchPort = Number(arg('--search-port', '0'));
  const relay =
    kind === 'bare'
      ? await BareVideoRelay.start(ips, searchPort)
      : await EngineVideoRelay.start(ips, dhPort, searchPort);
  const server = http.createServer((req, res) => {
    const match = PATH.exec(req.url ?? '');
    const camera = Number(match?.[1]);
    const format = match?.[2] === 'h264' ? 'h264' : 'mp4';
    try {
      if (!match) throw new Error('no such path');
      res.socket?.setNoDelay(true);
      if (relay instanceof EngineVideoRelay) relay.serve(camera, format, res);
      else relay.serve(camera, res, VIDEO_CONTENT_TYPES[format]);
    } catch (error) {
      res.writeHead(404).end(error instanceof Error ? error.message : String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  let cpu0 = 0;
  let t0 = 0;
  let counters0: Record<string, number> = {};
  /** The relay's counters run from its start; the window's share is the difference. */
  const countersSinceBegin = (): Record<string, number> => {
    const counters: Record<string, number> = { ...relay.counters() };
    for (const key of Object.keys(counters)) counters[key] = (counters[key] ?? 0) - (counters0[key] ?? 0);
    return counters;
  };
  const handle = async (cmd: string): Promise<JsonObject> => {
    switch (cmd) {
      case 'begin':
        relay.begin();
        counters0 = { ...relay.counters() };
        cpu0 = cpuMicros();
        t0 = now();
        return {};
      case 'end': {
        const wallMs = now() - t0;
        const cpuShare = (cpuMicros() - cpu0) / 1000 / wallMs;
        const { rss, heapUsed } = process.memoryUsage();
        const common = { cpuShare, wallMs, rss, heapUsed, counters: countersSinceBegin() };
        if (relay instanceof EngineVideoRelay) {
          return { ...common, latency: relay.latency.end(), latencyWithHold: relay.latencyWithHold.end() };
        }
        return { ...common, latency: relay.latency.end() };
      }
      default:
        throw new Error(`unknown command ${cmd}`);
    }
  };
  const arrivalFrom = relay instanceof EngineVideoRelay ? relay.arrivalFrom : 'socket';
  serveJsonLines({ port, arrivalFrom }, handle, async () => {
    server.closeAllConnections();
    server.close();
    await relay.close();
  });
}

main().catch(failStart);
