import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Node, type NodeAPI, type NodeDef } from 'node-red';
import { VideoStream, type VideoStreamStats } from './engine/video-stream';
import { takeSnapshot } from './engine/snapshot';
import { type VideoFormat, VIDEO_CONTENT_TYPES, pipeVideo } from './video/http-stream';
import { type CameraNode, joinCameraNode } from './adapter/camera-node';
import { errorMessage, guarded } from './adapter/guard';
import { breakNode } from './adapter/membership';
import { vstarMessage } from './adapter/messages';
import { StatusView, bad, good, idle } from './adapter/status';
import { checkNumber } from './adapter/validate';
import { playerPage } from './adapter/player-page';

/**
 * `vstar-stream`: serves one camera's live video on Node-RED's own HTTP server (`RED.httpNode`,
 * so httpNodeAuth and httpNodeMiddleware apply) under `<httpNodeRoot>vstar/<path>/`:
 * `video.h264` (Annex-B), `video.mp4` (fragmented MP4 for browsers), `video.h265` (for H.265
 * cameras, whose video the MP4 view cannot carry), `snapshot.jpg` and a player
 * page. The camera streams only while someone watches; every viewer shares one camera stream.
 */
interface StreamDef extends NodeDef {
  readonly device?: unknown;
  readonly substream?: unknown;
  readonly path?: unknown;
}

/** How long a snapshot.jpg request waits for the camera. */
const SNAPSHOT_TIMEOUT_MS = 10_000;
/** How long a livestream.cgi request waits. */
const STREAM_REQUEST_TIMEOUT_MS = 5000;
/** `stream-stats` goes to the flow this often while the stream runs. */
const STATS_INTERVAL_MS = 60_000;
const PATH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

interface Served {
  readonly node: Node;
  readonly camera: CameraNode;
  readonly stream: VideoStream;
}

/** Streams by path, across every vstar-stream node of this runtime: the routes are registered once. */
const served = new Map<string, Served>();
const routesOf = new WeakSet<object>();

export = function (RED: NodeAPI): void {
  registerRoutes(RED);

  function VstarStreamNode(this: Node, def: StreamDef): void {
    RED.nodes.createNode(this, def);
    const view = new StatusView(this);
    const substream = checkNumber('substream', def.substream, 1, { min: 0, max: 16, integer: true });
    if (!substream.ok) {
      breakNode(this, view, `bad config: ${substream.error}`, true);
      return;
    }
    const camera = joinCameraNode(RED, this, def, view);
    if (!camera) return;
    const spec = camera.source.spec;
    const fallback = spec.kind === 'uid' ? spec.uid : spec.kind === 'ip' ? spec.ip.replace(/\./g, '-') : 'camera';
    const path = typeof def.path === 'string' && def.path.trim() !== '' ? def.path.trim() : fallback;
    if (!PATH_PATTERN.test(path) || served.has(path)) {
      camera.leave();
      breakNode(
        this,
        view,
        PATH_PATTERN.test(path)
          ? `path "${path}" is served by another vstar-stream node`
          : 'path may hold only letters, digits, - and _ (at most 64)',
        true,
      );
      return;
    }
    run(this, camera, path, substream.value, view);
  }

  RED.nodes.registerType('vstar-stream', VstarStreamNode);
};

function run(node: Node, camera: CameraNode, path: string, substream: number, view: StatusView): void {
  const stream = new VideoStream(camera.link, {
    credentials: camera.source.credentials,
    substream,
    timeoutMs: STREAM_REQUEST_TIMEOUT_MS,
    statsIntervalMs: STATS_INTERVAL_MS,
  });
  served.set(path, { node, camera, stream });
  const announce = (event: 'stream-started' | 'stream-stopped' | 'stream-stats', payload: unknown): void => {
    const { topic, camera: record } = camera.identity();
    node.send(vstarMessage(event, topic, payload, record));
  };
  const onCameraStream = guarded(node, 'stream', (state: 'off' | 'starting' | 'on') => {
    if (state === 'on') {
      view.set(good(`streaming to ${stream.viewerCount}`));
      announce('stream-started', { path, substream, viewers: stream.viewerCount });
    } else if (state === 'off') {
      view.set(idle(`vstar/${path}/`));
      announce('stream-stopped', { path });
    }
  });
  const onStats = guarded(node, 'stream stats', (stats: VideoStreamStats) => {
    if (stats.state === 'on') announce('stream-stats', { path, ...stats });
  });
  const onError = guarded(node, 'stream error', (error: Error) => {
    view.set(bad(`stream: ${error.message.slice(0, 60)}`));
    node.warn(`stream ${path}: ${error.message}`);
  });
  stream.on('camera-stream', onCameraStream);
  stream.on('stream-stats', onStats);
  stream.on('stream-error', onError);
  view.set(idle(`vstar/${path}/`));

  node.on('close', (_removed: boolean, done: () => void) => {
    served.delete(path);
    stream.off('camera-stream', onCameraStream);
    stream.off('stream-stats', onStats);
    stream.off('stream-error', onError);
    stream.close();
    view.dispose();
    camera.leave();
    done();
  });
}

function registerRoutes(RED: NodeAPI): void {
  const app = RED.httpNode as unknown as {
    get(
      path: string,
      handler: (req: IncomingMessage & { params: Record<string, string> }, res: ServerResponse) => void,
    ): void;
  };
  if (routesOf.has(app)) return;
  routesOf.add(app);
  const find = (req: { params: Record<string, string> }, res: ServerResponse): Served | undefined => {
    const entry = served.get(req.params['path'] ?? '');
    if (!entry) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('no vstar-stream node serves this path\n');
    }
    return entry;
  };
  const video =
    (format: VideoFormat) => (req: IncomingMessage & { params: Record<string, string> }, res: ServerResponse) => {
      const entry = find(req, res);
      if (!entry) return;
      const wrongCodec = codecMismatch(format, entry.stream.stats().codec);
      if (wrongCodec) {
        res.writeHead(415, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`${wrongCodec}\n`);
        return;
      }
      try {
        const viewer = entry.stream.addViewer();
        res.writeHead(200, { 'Content-Type': VIDEO_CONTENT_TYPES[format], 'Cache-Control': 'no-store' });
        pipeVideo(viewer, res, format, entry.stream.parameterSets);
      } catch (error) {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`${errorMessage(error)}\n`);
      }
    };
  app.get('/vstar/:path/video.h264', video('h264'));
  app.get('/vstar/:path/video.h265', video('h265'));
  app.get('/vstar/:path/video.mp4', video('mp4'));
  app.get('/vstar/:path/snapshot.jpg', (req, res) => {
    const entry = find(req, res);
    if (!entry) return;
    const { camera } = entry;
    takeSnapshot(camera.link, camera.source.credentials, 0, SNAPSHOT_TIMEOUT_MS).then(
      (jpeg) => {
        res.writeHead(200, {
          'Content-Type': 'image/jpeg',
          'Content-Length': jpeg.length,
          'Cache-Control': 'no-store',
        });
        res.end(jpeg);
      },
      (error: unknown) => {
        res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`${errorMessage(error)}\n`);
      },
    );
  });
  app.get('/vstar/:path/', (req, res) => {
    const entry = find(req, res);
    if (!entry) return;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(playerPage(req.params['path'] ?? ''));
  });
}

/** Why `format` cannot carry this camera's video, once its codec is known. */
function codecMismatch(format: VideoFormat, codec: string | undefined): string | undefined {
  if (codec === 'h265' && format !== 'h265')
    return 'this camera sends H.265: use video.h265 (the MP4 view and video.h264 are H.264 only)';
  if (codec === 'h264' && format === 'h265') return 'this camera sends H.264: use video.h264 or video.mp4';
  return undefined;
}
