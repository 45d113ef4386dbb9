import { performance } from 'node:perf_hooks';
import { type Node, type NodeAPI, type NodeDef, type NodeMessage } from 'node-red';
import { payloadFor } from './commands/answer';
import { type Command, cgiCallsFor, commandFrom } from './commands/catalogue';
import { CommandError, runCalls } from './engine/command-runner';
import { type CameraNode, joinCameraNode } from './adapter/camera-node';
import { roundMs } from './adapter/messages';
import { StatusView, bad, good } from './adapter/status';
import { checkNumber } from './adapter/validate';
import { breakNode } from './adapter/membership';

/**
 * `vstar-command`: sends a CGI command to a camera over its P2P session (PROTOCOL.md §7.2) and
 * emits the answer as `response`. Any message runs the configured command; `msg.payload` may
 * name another. Failures go to `done(err)`, so a Catch node sees them with a reason to act on.
 */
interface CommandDef extends NodeDef {
  readonly device?: unknown;
  readonly command?: unknown;
  readonly action?: unknown;
  readonly preset?: unknown;
  readonly step?: unknown;
  readonly cgi?: unknown;
  readonly params?: unknown;
  readonly timeout?: unknown;
}

/** How long a failed command's reason shows before the link's own status comes back. */
const NOTICE_MS = 5000;

export = function (RED: NodeAPI): void {
  function VstarCommandNode(this: Node, def: CommandDef): void {
    RED.nodes.createNode(this, def);
    start(this, def);
  }

  function start(node: Node, def: CommandDef): void {
    const view = new StatusView(node);
    const timeout = checkNumber('timeout', def.timeout, 5, { min: 0, exclusiveMin: true, max: 300 });
    const configured = commandFrom(undefined, configuredCommand(def));
    if (!timeout.ok || !configured.ok) {
      breakNode(
        node,
        view,
        `bad config: ${timeout.ok ? (configured.ok ? '' : configured.error) : timeout.error}`,
        true,
      );
      return;
    }
    const camera = joinCameraNode(RED, node, def, view);
    if (!camera) return;
    run(node, camera, configuredCommand(def), timeout.value * 1000, view);
  }

  RED.nodes.registerType('vstar-command', VstarCommandNode);
};

/** The node's properties as a command object; an empty field means "not given". */
function configuredCommand(def: CommandDef): Record<string, unknown> {
  const given = (value: unknown): unknown => (value === '' ? undefined : value);
  return {
    command: def.command ?? 'status',
    action: given(def.action),
    preset: given(def.preset),
    step: def.step,
    cgi: given(def.cgi),
    params: given(def.params),
  };
}

function run(
  node: Node,
  camera: CameraNode,
  defaults: Record<string, unknown>,
  timeoutMs: number,
  view: StatusView,
): void {
  node.on('input', (msg: NodeMessage, send, done) => {
    const chosen = commandFrom(msg.payload, defaults);
    if (!chosen.ok) {
      view.flash(bad('bad command'), NOTICE_MS);
      done(new Error(`bad command in msg.payload: ${chosen.error}`));
      return;
    }
    const command: Command = chosen.value;
    const startedAt = performance.now();
    const calls = cgiCallsFor(command, Date.now(), new Date().getTimezoneOffset());
    runCalls(camera.link, calls, {
      credentials: camera.source.credentials,
      timeoutMs,
      camera: camera.source.label,
    }).then(
      (answer) => {
        const durationMs = roundMs(performance.now() - startedAt);
        const { topic, camera: record } = camera.identity();
        const out = msg as NodeMessage & Record<string, unknown>;
        out.topic = topic;
        out.event = 'response';
        out.command = command.command;
        out.payload = payloadFor(command, answer.values);
        if (record) out.camera = record;
        else delete out.camera;
        out.durationMs = durationMs;
        send(out);
        view.flash(good(`${command.command} ${Math.round(durationMs)} ms`), NOTICE_MS);
        done();
      },
      (error: unknown) => {
        const reason = error instanceof CommandError ? error.reason : 'error';
        view.flash(bad(`${command.command}: ${reason}`), NOTICE_MS);
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
