import { type Node, type NodeAPI, type NodeDef, type NodeMessage } from 'node-red';
import { type EndpointEvents } from './engine/endpoint';
import { type CameraSighting } from './engine/discovery-table';
import { errorMessage, guarded } from './adapter/guard';
import { type Membership, breakNode, joinNetwork } from './adapter/membership';
import { changedPayload, roundMs, vstarMessage } from './adapter/messages';
import { type DiscoverConfig, type DiscoverProperties, parseDiscoverConfig } from './adapter/node-config';
import { StatusView, bad, busy, idle } from './adapter/status';

/**
 * `vstar-discover`: scans the network for cameras on any input, and every `interval` seconds
 * when that is set (the first scan as soon as the network is up after a deploy). Emits
 * `discovered` (first sighting by this node), `changed`, `conflict` and `scan-complete`;
 * with output "list" only `scan-complete`, which carries the list.
 */
interface DiscoverDef extends NodeDef, DiscoverProperties {}

type Send = (msg: NodeMessage) => void;

/**
 * Per-camera messages (`discovered`, `changed`, `conflict`) one node sends per scan; the rest are
 * counted in the next `scan-complete` (`suppressed`). Larger than any real LAN, small enough that
 * a flood of forged UIDs cannot become a flood of flow messages.
 */
const MAX_CAMERA_EVENTS_PER_SCAN = 256;

export = function (RED: NodeAPI): void {
  function VstarDiscoverNode(this: Node, def: DiscoverDef): void {
    RED.nodes.createNode(this, def);
    start(this, def);
  }

  function start(node: Node, def: DiscoverDef): void {
    const view = new StatusView(node);
    const parsed = parseDiscoverConfig(def);
    if (!parsed.ok) {
      breakNode(node, view, `bad config: ${parsed.error}`, true);
      return;
    }
    const joined = joinNetwork(RED, node, def.network, view);
    if (!joined.ok) return;
    run(node, parsed.config, joined.membership, view);
  }

  RED.nodes.registerType('vstar-discover', VstarDiscoverNode);
};

function run(node: Node, config: DiscoverConfig, membership: Membership, view: StatusView): void {
  const endpoint = membership.endpoint;
  const each = config.output === 'each';
  /** UIDs this node has announced with `discovered`: a node deployed later still announces every camera once. */
  const known = new Set<string>();
  let closed = false;
  /** This node's scan in progress: messages that arrive meanwhile join it, for one scan-complete. */
  let current: Promise<void> | undefined;
  let firstScanPending = config.intervalS > 0;
  let timer: NodeJS.Timeout | undefined;
  /** What is left of this scan's per-camera messages, and what was held back since the last scan-complete. */
  let budget = MAX_CAMERA_EVENTS_PER_SCAN;
  let suppressed = 0;
  let warnedFlood = false;

  const record = (sighting: CameraSighting) => endpoint.record(sighting, config.includeSecrets);

  const sendCameraEvent = (msg: NodeMessage, send: Send): void => {
    if (budget > 0) {
      budget--;
      send(msg);
      return;
    }
    suppressed++;
    if (warnedFlood) return;
    warnedFlood = true;
    node.warn(
      `more than ${MAX_CAMERA_EVENTS_PER_SCAN} camera messages in one scan (a flood of forged replies?): ` +
        'the rest are only counted, in scan-complete (payload.suppressed); every camera is still in its list',
    );
  };

  const announce = (sighting: CameraSighting, send: Send): void => {
    const uid = sighting.record.uid;
    if (known.has(uid)) return;
    if (known.size >= endpoint.options.maxCameras) known.clear();
    known.add(uid);
    if (each) sendCameraEvent(vstarMessage('discovered', uid, record(sighting), record(sighting)), send);
  };

  const onDiscovered = guarded(node, 'discovered', (sighting: EndpointEvents['discovered'][0]) => {
    if (!closed) announce(sighting, (msg) => node.send(msg));
  });
  const onChanged = guarded(node, 'changed', ({ sighting, previous, changes }: EndpointEvents['changed'][0]) => {
    if (closed) return;
    known.add(sighting.record.uid);
    if (each) {
      const uid = sighting.record.uid;
      sendCameraEvent(vstarMessage('changed', uid, changedPayload(previous, changes), record(sighting)), (msg) =>
        node.send(msg),
      );
    }
  });
  const onConflict = guarded(node, 'conflict', ({ sighting, claimants }: EndpointEvents['conflict'][0]) => {
    if (closed || !each) return;
    const uid = sighting.record.uid;
    sendCameraEvent(vstarMessage('conflict', uid, { claimants: [...claimants] }, record(sighting)), (msg) =>
      node.send(msg),
    );
  });
  endpoint.on('discovered', onDiscovered);
  endpoint.on('changed', onChanged);
  endpoint.on('conflict', onConflict);

  /**
   * This node's scan and its one `scan-complete`; a call while one is running joins it (as the
   * endpoint joins scans of every node on the network), so a burst of messages is one scan.
   */
  function scanOnce(send: Send): Promise<void> {
    current ??= scan(send).finally(() => {
      current = undefined;
    });
    return current;
  }

  async function scan(send: Send): Promise<void> {
    view.set(busy('scanning'));
    budget = MAX_CAMERA_EVENTS_PER_SCAN;
    const result = await endpoint.scan(config.windowMs);
    if (closed) return;
    for (const sighting of result.cameras) announce(sighting, send);
    const cameras = result.cameras.map(record);
    const payload = {
      cameras,
      count: cameras.length,
      durationMs: roundMs(result.durationMs, 0),
      targets: [...result.targets],
      suppressed,
      errors: [...result.errors],
    };
    suppressed = 0;
    send(vstarMessage('scan-complete', 'scan', payload, undefined));
    const failedEverywhere = result.errors.length > 0 && result.errors.length >= result.targets.length;
    if (failedEverywhere) {
      // Nothing left this machine: a grey "0 cameras" would hide it (a broadcast with no route, a
      // target no interface reaches).
      node.error(`scan: no probe could be sent: ${result.errors.join('; ')}`);
      view.set(bad(`probe failed: ${shortReason(result.errors[0] ?? 'send failed')}`));
      return;
    }
    if (result.errors.length > 0) node.warn(`scan: ${result.errors.join('; ')}`);
    view.set(idle(cameras.length === 1 ? '1 camera' : `${cameras.length} cameras`));
  }

  const scheduled = guarded(node, 'scheduled scan', () => {
    // A network in trouble shows it in the status already; the next interval tries again.
    if (closed || current || !membership.ready) return;
    scanOnce((msg) => node.send(msg)).catch((error: unknown) => node.error(`scan failed: ${errorMessage(error)}`));
  });

  node.on('input', (_msg, send, done) => {
    membership
      .whenReady()
      .then(() => scanOnce(send))
      .then(
        () => done(),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
  });

  node.on('close', (removed: boolean, done: () => void) => {
    closed = true;
    view.dispose();
    if (timer) clearInterval(timer);
    timer = undefined;
    endpoint.off('discovered', onDiscovered);
    endpoint.off('changed', onChanged);
    endpoint.off('conflict', onConflict);
    membership.leave();
    if (removed) node.debug('removed');
    done();
  });

  view.set(idle(config.intervalS > 0 ? `every ${config.intervalS} s` : 'idle'));
  if (config.intervalS > 0) timer = setInterval(scheduled, config.intervalS * 1000);
  membership.listen((condition) => {
    if (condition.kind !== 'ready' || !firstScanPending) return;
    firstScanPending = false;
    scheduled();
  });
}

/** The error code of a send failure (`ENETUNREACH`), for a status that must stay short. */
function shortReason(error: string): string {
  return /\bE[A-Z]{3,}\b/.exec(error)?.[0] ?? error.slice(0, 40);
}
