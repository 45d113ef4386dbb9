import { performance } from 'node:perf_hooks';
import { type Node, type NodeAPI, type NodeDef, type NodeMessage } from 'node-red';
import { type SnapshotResolution, takeSnapshot } from './engine/snapshot';
import { CommandError } from './engine/command-runner';
import { type CameraNode, joinCameraNode } from './adapter/camera-node';
import { breakNode } from './adapter/membership';
import { roundMs } from './adapter/messages';
import { StatusView, bad, good } from './adapter/status';
import { checkChoice, checkNumber } from './adapter/validate';

/**
 * `vstar-snapshot`: any input takes a still over the camera's P2P session (`snapshot.cgi`) and
 * sends it on as a JPEG Buffer, ready for the file, e-mail, Telegram and image-output nodes. A
 * picture that did not arrive whole is an error (Catch node), never a broken image.
 */
interface SnapshotDef extends NodeDef {
  readonly device?: unknown;
  readonly resolution?: unknown;
  readonly timeout?: unknown;
}

const RESOLUTIONS = ['default', 'high', 'low'] as const;
/** `res` of snapshot.cgi per choice (PROTOCOL.md §7.2); "default" leaves it to the camera. */
const RES: Record<(typeof RESOLUTIONS)[number], SnapshotResolution> = { default: 0, high: 1, low: 2 };
const NOTICE_MS = 5000;

export = function (RED: NodeAPI): void {
  function VstarSnapshotNode(this: Node, def: SnapshotDef): void {
    RED.nodes.createNode(this, def);
    const view = new StatusView(this);
    const timeout = checkNumber('timeout', def.timeout, 10, { min: 0, exclusiveMin: true, max: 300 });
    const resolution = checkChoice('resolution', def.resolution, RESOLUTIONS, 'default');
    if (!timeout.ok || !resolution.ok) {
      breakNode(this, view, `bad config: ${!timeout.ok ? timeout.error : resolution.ok ? '' : resolution.error}`, true);
      return;
    }
    const camera = joinCameraNode(RED, this, def, view);
    if (!camera) return;
    run(this, camera, RES[resolution.value], timeout.value * 1000, view);
  }

  RED.nodes.registerType('vstar-snapshot', VstarSnapshotNode);
};

function run(
  node: Node,
  camera: CameraNode,
  resolution: SnapshotResolution,
  timeoutMs: number,
  view: StatusView,
): void {
  node.on('input', (msg: NodeMessage, send, done) => {
    const startedAt = performance.now();
    takeSnapshot(camera.link, camera.source.credentials, resolution, timeoutMs).then(
      (jpeg) => {
        const { topic, camera: record } = camera.identity();
        const out = msg as NodeMessage & Record<string, unknown>;
        out.topic = topic;
        out.event = 'snapshot';
        out.payload = jpeg;
        out.contentType = 'image/jpeg';
        out.filename = `${topic}-${fileTime(new Date())}.jpg`;
        if (record) out.camera = record;
        else delete out.camera;
        out.durationMs = roundMs(performance.now() - startedAt);
        send(out);
        view.flash(good(`snapshot ${Math.round(jpeg.length / 1024)} KiB`), NOTICE_MS);
        done();
      },
      (error: unknown) => {
        view.flash(bad(`snapshot: ${error instanceof CommandError ? error.reason : 'broken image'}`), NOTICE_MS);
        done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    view.dispose();
    camera.leave();
    done();
  });
}

/** `20261203T101500Z`: UTC, sortable, and safe in every file system. */
function fileTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
