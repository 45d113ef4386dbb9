import type dgram from 'node:dgram';
import type http from 'node:http';
import { DEFAULT_CREDENTIALS } from '../../nodes/adapter/camera-source';
import { type CameraLink } from '../../nodes/engine/camera-link';
import { Endpoint } from '../../nodes/engine/endpoint';
import { type StreamFrame, VideoStream } from '../../nodes/engine/video-stream';
import { type ByteSink, VIDEO_CONTENT_TYPES, type VideoFormat, pipeVideo } from '../../nodes/video/http-stream';
import { LatencyRecorder } from './latency-recorder';
import { now } from './util';

/**
 * The relay under test: one Endpoint, a CameraLink and a VideoStream per camera, and per HTTP
 * viewer `pipeVideo` into the response, as vstar-stream does on Node-RED's server.
 *
 * Instrumented for latency without touching the engine: the arrival time of every datagram is
 * taken on the endpoint's PPPP socket ('message', prepended), a frame is stamped with the arrival
 * of the datagram that completed it when the stream offers it to a viewer (the engine does that in
 * the same tick), and every write into the response is timed. `.h264` writes a frame as it is
 * read; the MP4 muxer holds each frame until the next one arrives (its duration is the step to
 * it), so an `.mp4` write carries the previous frame: measured both with that hold and without it
 * (from the arrival that released it).
 */
export interface EngineRelayCounters {
  readonly framesReceived: number;
  readonly framesDropped: number;
  readonly viewerFramesDropped: number;
  readonly framesWritten: number;
  readonly bytesWritten: number;
}

const REQUEST_TIMEOUT_MS = 5000;

export class EngineVideoRelay {
  /** Without the MP4 muxer's one-frame hold (h264: the whole latency). */
  readonly latency = new LatencyRecorder();
  /** MP4 only: from the arrival of the frame's own last DRW, the hold included. */
  readonly latencyWithHold = new LatencyRecorder();
  private lastArrival = 0;
  private framesWritten = 0;
  private bytesWritten = 0;
  readonly arrivalFrom: 'socket' | 'link';

  private constructor(
    private readonly endpoint: Endpoint,
    private readonly links: readonly CameraLink[],
    private readonly streams: readonly VideoStream[],
    socket: dgram.Socket | undefined,
  ) {
    const stamp = (): void => {
      this.lastArrival = now();
    };
    if (socket) socket.prependListener('message', stamp);
    else for (const link of links) link.prependListener('data', stamp);
    this.arrivalFrom = socket ? 'socket' : 'link';
  }

  static async start(ips: readonly string[], dhPort: number, searchPort: number): Promise<EngineVideoRelay> {
    const endpoint = new Endpoint({ bind: '0.0.0.0', targets: ['127.255.255.255'], dhPort, searchPort });
    await endpoint.ready();
    const links = ips.map((ip) => {
      const link = endpoint.link({ kind: 'ip', ip }, { reconnect: false });
      if (!link) throw new Error('endpoint refused a link');
      return link;
    });
    await Promise.all(
      links.map(
        (link) =>
          new Promise<void>((resolve, reject) => {
            link.once('connected', () => resolve());
            link.once('handshake-failed', () => reject(new Error('engine handshake failed')));
            link.connect();
          }),
      ),
    );
    const streams = links.map(
      (link) =>
        new VideoStream(link, { credentials: DEFAULT_CREDENTIALS, substream: 0, timeoutMs: REQUEST_TIMEOUT_MS }),
    );
    // The PPPP socket is the endpoint's own; read here only to timestamp arrivals (a bench probe).
    const socket = (endpoint as unknown as { ppppSocket?: dgram.Socket }).ppppSocket;
    return new EngineVideoRelay(endpoint, links, streams, socket);
  }

  /** Serves camera `camera`'s stream to one HTTP response, as vstar-stream does. */
  serve(camera: number, format: VideoFormat, res: http.ServerResponse): void {
    const stream = this.streams[camera];
    if (!stream) throw new Error(`no camera ${camera}`);
    const viewer = stream.addViewer();
    const arrivals = new WeakMap<StreamFrame, number>();
    const offer = viewer.offer.bind(viewer);
    viewer.offer = (frame, continuous) => {
      arrivals.set(frame, this.lastArrival);
      return offer(frame, continuous);
    };
    let current: StreamFrame | undefined;
    let previous: StreamFrame | undefined;
    let lastWriteAt: number | undefined;
    const settle = (): void => {
      if (lastWriteAt === undefined || current === undefined) return;
      const releasedBy = arrivals.get(current);
      if (releasedBy !== undefined) this.latency.add(lastWriteAt - releasedBy);
      const own = previous && arrivals.get(previous);
      if (format === 'mp4' && own !== undefined) this.latencyWithHold.add(lastWriteAt - own);
      if (this.latency.recording) this.framesWritten++;
      lastWriteAt = undefined;
    };
    const read = viewer.read.bind(viewer);
    viewer.read = () => {
      settle();
      const frame = read();
      if (frame) {
        previous = current;
        current = frame;
      }
      return frame;
    };
    const sink: ByteSink = {
      write: (chunk) => {
        const ok = res.write(chunk);
        lastWriteAt = now();
        if (this.latency.recording) this.bytesWritten += chunk.length;
        return ok;
      },
      once: (event, listener) => res.once(event, listener),
      on: (event, listener) => res.on(event, listener),
      end: () => res.end(),
    };
    res.writeHead(200, { 'Content-Type': VIDEO_CONTENT_TYPES[format], 'Cache-Control': 'no-store' });
    pipeVideo(viewer, sink, format, stream.parameterSets);
  }

  begin(): void {
    this.framesWritten = 0;
    this.bytesWritten = 0;
    this.latency.begin();
    this.latencyWithHold.begin();
  }

  counters(): EngineRelayCounters {
    const stats = this.streams.map((s) => s.stats());
    const sum = (pick: (s: (typeof stats)[number]) => number): number => stats.reduce((t, s) => t + pick(s), 0);
    return {
      framesReceived: sum((s) => s.framesReceived),
      framesDropped: sum((s) => s.framesDropped),
      viewerFramesDropped: sum((s) => s.viewerFramesDropped),
      framesWritten: this.framesWritten,
      bytesWritten: this.bytesWritten,
    };
  }

  async close(): Promise<void> {
    for (const stream of this.streams) stream.close();
    for (const link of this.links) this.endpoint.release(link);
    await this.endpoint.close();
  }
}
