import { type Node, type NodeAPI, type NodeDef } from 'node-red';
import { MotionTracker } from './commands/motion';
import { CommandError, runCalls } from './engine/command-runner';
import { type CameraNode, joinCameraNode } from './adapter/camera-node';
import { errorMessage, guarded } from './adapter/guard';
import { breakNode } from './adapter/membership';
import { vstarMessage } from './adapter/messages';
import { StatusView, bad, busy, good } from './adapter/status';
import { checkNumber } from './adapter/validate';

/**
 * `vstar-motion`: polls the camera's alarm state (`get_status`, alarm_status) on its shared
 * link every `interval` seconds and emits `motion` when an alarm starts and `motion-end` when it
 * clears. One poll at a time; polls wait while the link is down, so nothing piles up.
 */
interface MotionDef extends NodeDef {
  readonly device?: unknown;
  readonly interval?: unknown;
}

/** A poll gets this long at most, and never less than its interval. */
const POLL_TIMEOUT_MS = 5000;

export = function (RED: NodeAPI): void {
  function VstarMotionNode(this: Node, def: MotionDef): void {
    RED.nodes.createNode(this, def);
    const view = new StatusView(this);
    const interval = checkNumber('interval', def.interval, 1, { min: 0.2, max: 3600 });
    if (!interval.ok) {
      breakNode(this, view, `bad config: ${interval.error}`, true);
      return;
    }
    const camera = joinCameraNode(RED, this, def, view);
    if (!camera) return;
    run(this, camera, interval.value * 1000, view);
  }

  RED.nodes.registerType('vstar-motion', VstarMotionNode);
};

function run(node: Node, camera: CameraNode, intervalMs: number, view: StatusView): void {
  const tracker = new MotionTracker();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  /** The last failure reported, so that a camera refusing every poll is logged once, not every second. */
  let reported: string | undefined;

  const schedule = (): void => {
    if (!closed) timer = setTimeout(poll, intervalMs);
  };

  const poll = guarded(node, 'motion poll', () => {
    timer = undefined;
    if (closed) return;
    // While the link is down the poll waits for it; the connected handler below starts the next.
    if (!camera.link.connected || polling) return;
    polling = true;
    const options = {
      credentials: camera.source.credentials,
      timeoutMs: Math.max(intervalMs, POLL_TIMEOUT_MS),
      camera: camera.source.label,
    };
    runCalls(camera.link, [{ cgi: 'get_status', params: {} }], options).then(
      (answer) => {
        polling = false;
        if (closed) return;
        reported = undefined;
        for (const edge of tracker.observe(answer.values['alarm_status'], Date.now())) {
          const { topic, camera: record } = camera.identity();
          const since = new Date(edge.sinceMs).toISOString();
          const payload =
            edge.type === 'motion'
              ? { alarm: edge.alarm, since }
              : { alarm: edge.alarm, since, durationMs: edge.durationMs };
          node.send(vstarMessage(edge.type, topic, payload, record));
        }
        view.set(tracker.alarm === undefined ? good('no motion') : bad(`${String(tracker.alarm)} alarm`));
        schedule();
      },
      (error: unknown) => {
        polling = false;
        if (closed) return;
        const message = errorMessage(error);
        if (message !== reported) {
          reported = message;
          // A dropped link is the link's news, shown in the status; anything else is worth a log line.
          if (!(error instanceof CommandError && error.reason === 'not-connected'))
            node.error(`motion poll: ${message}`);
        }
        view.set(bad(error instanceof CommandError ? error.reason : 'poll failed'));
        schedule();
      },
    );
  });

  const onConnected = guarded(node, 'connected', () => {
    view.set(busy('watching'));
    if (!timer && !polling && !closed) timer = setTimeout(poll, 0);
  });
  camera.link.on('connected', onConnected);
  if (camera.link.connected) onConnected();

  node.on('close', (_removed: boolean, done: () => void) => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    camera.link.off('connected', onConnected);
    view.dispose();
    camera.leave();
    done();
  });
}
