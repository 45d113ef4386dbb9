import { type Node, type NodeAPI, type NodeDef } from 'node-red';
import { type CameraLink, type HeartbeatHandle } from './engine/camera-link';
import { type HeartbeatEvent, type HeartbeatReport } from './session/heartbeat-monitor';
import { guarded } from './adapter/guard';
import { cameraSource } from './adapter/camera-source';
import { isBlank } from './adapter/validate';
import { type Membership, breakNode, joinCameraLink } from './adapter/membership';
import { type CameraIdentity, cameraFor, roundMs, specTopic, topicOf, vstarMessage } from './adapter/messages';
import { type HeartbeatNodeConfig, type HeartbeatProperties, parseHeartbeatConfig } from './adapter/node-config';
import { StatusView, busy, good, heartbeatStatus } from './adapter/status';

/**
 * `vstar-heartbeat`: keeps the shared session with one camera up (reconnecting), probes it
 * once per `interval` and emits `heartbeat` every interval, `lost` after `misses` silent
 * intervals and `restored` when the camera is heard again.
 */
interface HeartbeatDef extends NodeDef, HeartbeatProperties {
  readonly device?: unknown;
}

export = function (RED: NodeAPI): void {
  function VstarHeartbeatNode(this: Node, def: HeartbeatDef): void {
    RED.nodes.createNode(this, def);
    start(this, def);
  }

  function start(node: Node, def: HeartbeatDef): void {
    const view = new StatusView(node);
    const source = cameraSource(RED, def);
    // With a device, the inline camera of a 0.1 flow is not used: it cannot make the config bad.
    const parsed = parseHeartbeatConfig(isBlank(def.device) ? def : { ...def, camera: '' });
    if (!parsed.ok || !source.ok) {
      breakNode(node, view, `bad config: ${parsed.ok ? (source.ok ? '' : source.error) : parsed.error}`, true);
      return;
    }
    const config = { ...parsed.config, spec: source.source.spec };
    const joined = joinCameraLink(RED, node, source.source.networkId, view, config.spec, { reconnect: true });
    if (!joined) return;
    run(node, config, joined.membership, joined.link, view);
  }

  RED.nodes.registerType('vstar-heartbeat', VstarHeartbeatNode);
};

const EVENTS = ['heartbeat', 'lost', 'restored'] as const;

function run(
  node: Node,
  config: HeartbeatNodeConfig,
  membership: Membership,
  link: CameraLink,
  view: StatusView,
): void {
  const endpoint = membership.endpoint;
  const fallbackTopic = specTopic(config.spec);
  let identity: CameraIdentity | undefined;

  const onEvent = guarded(node, 'heartbeat', (event: HeartbeatEvent) => {
    const connected = link.connected;
    if (connected) identity = { uid: connected.uid, did: connected.did, ip: connected.peer.address };
    const report = event.report;
    view.set(heartbeatStatus(report, config.misses));
    const uid = identity?.uid ?? fallbackTopic;
    node.send(vstarMessage(event.type, topicOf(uid), payloadOf(report), cameraFor(endpoint, identity)));
  });

  const beat: HeartbeatHandle = link.startHeartbeat({ intervalMs: config.intervalMs, misses: config.misses });
  for (const name of EVENTS) beat.on(name, onEvent);

  node.on('close', (removed: boolean, done: () => void) => {
    for (const name of EVENTS) beat.off(name, onEvent);
    beat.stop();
    endpoint.release(link);
    membership.leave();
    if (removed) node.debug('removed');
    done();
  });

  view.set(link.connected ? good('connected') : busy('connecting'));
  link.connect();
}

/** The monitor's report; round trips to the microsecond, which is all a timer can tell. */
function payloadOf(report: HeartbeatReport): HeartbeatReport {
  const round = (ms: number | null) => (ms === null ? null : roundMs(ms, 3));
  return {
    ...report,
    rttMs: round(report.rttMs),
    rttMinMs: round(report.rttMinMs),
    rttMaxMs: round(report.rttMaxMs),
    rttAvgMs: round(report.rttAvgMs),
  };
}
