import { type Node, type NodeAPI, type NodeDef } from 'node-red';
import { type CameraLink, type LinkConnected, type LinkEvents } from './engine/camera-link';
import { guarded } from './adapter/guard';
import { cameraSource } from './adapter/camera-source';
import { type Membership, breakNode, joinCameraLink } from './adapter/membership';
import { type CameraIdentity, cameraFor, roundMs, specTopic, topicOf, vstarMessage } from './adapter/messages';
import { type SessionNodeConfig, type SessionProperties, parseSessionConfig } from './adapter/node-config';
import { StatusView, bad, busy, disconnectedStatus, good, idle } from './adapter/status';
import { describeValue, isBlank } from './adapter/validate';

/**
 * `vstar-session`: holds a P2P session with one camera (shared with every other vstar node that
 * names the same camera on the same network). Connects on deploy (`autoConnect`) or on
 * msg.payload "connect"; "disconnect" closes it and stops reconnecting. Emits `connected` and
 * `disconnected`.
 */
interface SessionDef extends NodeDef, SessionProperties {
  readonly device?: unknown;
}

/** How long a refused message's reason shows in the status before the session's own comes back. */
const NOTICE_MS = 5000;

/** Foreign claims are worth a warning, not one per datagram: the first few addresses only. */
const MAX_FOREIGN_WARNINGS = 8;

export = function (RED: NodeAPI): void {
  function VstarSessionNode(this: Node, def: SessionDef): void {
    RED.nodes.createNode(this, def);
    start(this, def);
  }

  function start(node: Node, def: SessionDef): void {
    const view = new StatusView(node);
    const source = cameraSource(RED, def);
    // With a device, the inline camera of a 0.1 flow is not used: it cannot make the config bad.
    const parsed = parseSessionConfig(isBlank(def.device) ? def : { ...def, camera: '' });
    if (!parsed.ok || !source.ok) {
      breakNode(node, view, `bad config: ${parsed.ok ? (source.ok ? '' : source.error) : parsed.error}`, true);
      return;
    }
    const config = { ...parsed.config, spec: source.source.spec };
    const joined = joinCameraLink(RED, node, source.source.networkId, view, config.spec, {
      reconnect: config.reconnect,
    });
    if (!joined) return;
    run(node, config, joined.membership, joined.link, view);
  }

  RED.nodes.registerType('vstar-session', VstarSessionNode);
};

function run(node: Node, config: SessionNodeConfig, membership: Membership, link: CameraLink, view: StatusView): void {
  const endpoint = membership.endpoint;
  let stoppedByUser = false;
  let closed = false;
  let deferred: NodeJS.Immediate | undefined;
  let lostBefore = false;
  let identity: CameraIdentity | undefined;
  const warnedForeign = new Set<string>();
  const fallbackTopic = specTopic(config.spec);

  /** msg.topic of the camera last connected: worked out once per camera, not once per message. */
  let identityTopic = '';

  const camera = () => cameraFor(endpoint, identity, identityTopic);

  const announceConnected = (connected: LinkConnected): void => {
    if (identity?.uid !== connected.uid) identityTopic = topicOf(connected.uid);
    identity = { uid: connected.uid, did: connected.did, ip: connected.peer.address };
    lostBefore = false;
    const payload = {
      handshakeMs: roundMs(connected.handshakeMs),
      encryption: connected.encryption,
      attempt: connected.attempt,
      peer: { address: connected.peer.address, port: connected.peer.port },
    };
    // The flow hears first: the status round trip to the editor follows the message.
    node.send(vstarMessage('connected', identityTopic, payload, camera()));
    view.setSoon(good(`connected ${Math.round(connected.handshakeMs)} ms`));
  };

  // Shown once the event is over: the link tells after the attempt's first search has gone out.
  const onConnecting = guarded(node, 'connecting', ({ attempt }: LinkEvents['connecting'][0]) => {
    const verb = lostBefore ? 'reconnecting' : 'connecting';
    view.setSoon(busy(attempt > 1 ? `${verb} (attempt ${attempt})` : verb));
  });
  const onConnected = guarded(node, 'connected', (connected: LinkConnected) => announceConnected(connected));
  const onDisconnected = guarded(node, 'disconnected', (event: LinkEvents['disconnected'][0]) => {
    const { reason, detail } = event;
    if (reason !== 'closed') lostBefore = true;
    const payload = detail === undefined ? { reason } : { reason, detail };
    const uid = event.uid ?? identity?.uid;
    const topic = uid !== undefined && uid === identity?.uid ? identityTopic : topicOf(uid ?? fallbackTopic);
    node.send(vstarMessage('disconnected', topic, payload, camera()));
    view.setSoon(disconnectedStatus(reason, detail));
  });
  const onHandshakeFailed = guarded(node, 'handshake', (event: LinkEvents['handshake-failed'][0]) => {
    if (stoppedByUser) return;
    const why = event.reason === 'timeout' ? 'no answer' : event.reason;
    view.set(bad(event.retryInMs === undefined ? why : `${why}, retry in ${Math.ceil(event.retryInMs / 1000)} s`));
  });
  const onForeignClaim = guarded(node, 'foreign claim', ({ from, uid }: LinkEvents['foreign-claim'][0]) => {
    const key = `${from.address}:${from.port}`;
    if (warnedForeign.has(key) || warnedForeign.size >= MAX_FOREIGN_WARNINGS) return;
    warnedForeign.add(key);
    node.warn(
      `camera ${uid} was claimed from ${key}, which this session is not pinned to: ignored (a spoof, or a second camera with the same UID)`,
    );
  });
  link.on('connecting', onConnecting);
  link.on('connected', onConnected);
  link.on('disconnected', onDisconnected);
  link.on('handshake-failed', onHandshakeFailed);
  link.on('foreign-claim', onForeignClaim);

  node.on('input', (msg, _send, done) => {
    const command = typeof msg.payload === 'string' ? msg.payload.trim().toLowerCase() : undefined;
    try {
      if (command === 'connect') {
        stoppedByUser = false;
        link.connect();
        done();
      } else if (command === 'disconnect') {
        stoppedByUser = true;
        link.disconnect();
        view.setSoon(idle('disconnected'));
        done();
      } else {
        // Refused: the status says so for a moment, then shows the session again.
        const refused = msg.payload === undefined ? 'no msg.payload' : `unknown command ${describeValue(msg.payload)}`;
        view.flash(bad(refused), NOTICE_MS);
        done(new Error(`${refused}: msg.payload must be "connect" or "disconnect"`));
      }
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  });

  node.on('close', (removed: boolean, done: () => void) => {
    closed = true;
    view.dispose();
    if (deferred) clearImmediate(deferred);
    link.off('connecting', onConnecting);
    link.off('connected', onConnected);
    link.off('disconnected', onDisconnected);
    link.off('handshake-failed', onHandshakeFailed);
    link.off('foreign-claim', onForeignClaim);
    endpoint.release(link);
    membership.leave();
    if (removed) node.debug('removed');
    done();
  });

  if (link.connected) {
    // Shared with a node that connected it before this one started (a partial deploy): this
    // node's flow hears of it too, once the flow is wired up.
    deferred = setImmediate(
      guarded(node, 'connected', () => {
        deferred = undefined;
        const connected = link.connected;
        if (!closed && connected) announceConnected(connected);
      }),
    );
  } else if (config.autoConnect) {
    view.setSoon(busy('connecting'));
    link.connect();
  } else {
    view.set(idle('idle'));
  }
}
