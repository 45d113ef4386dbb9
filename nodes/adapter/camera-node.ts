import { type Node, type NodeAPI } from 'node-red';
import { type CameraLink, type LinkConnected } from '../engine/camera-link';
import { type Endpoint } from '../engine/endpoint';
import { type CameraSource, cameraSource } from './camera-source';
import { guarded } from './guard';
import { type Membership, breakNode, joinCameraLink } from './membership';
import { type CameraIdentity, cameraFor, specTopic } from './messages';
import { type StatusView, bad, busy, good } from './status';

/**
 * What vstar-command and vstar-motion share: the camera from their `device`, a share of its
 * link kept connected (a command waits for the session rather than failing while it is down),
 * the link's state shown in the status, and the camera's identity for messages.
 */
export interface CameraNode {
  readonly source: CameraSource;
  readonly link: CameraLink;
  readonly endpoint: Endpoint;
  /** `msg.topic` and `msg.camera` of the camera as the session knows it now. */
  identity(): { topic: string; camera: ReturnType<typeof cameraFor> };
  /** Leaves the link and the network (the node is closing). */
  leave(): void;
}

export function joinCameraNode(
  RED: NodeAPI,
  node: Node,
  props: { readonly device?: unknown },
  view: StatusView,
): CameraNode | undefined {
  const source = cameraSource(RED, props);
  if (!source.ok) {
    breakNode(node, view, `bad config: ${source.error}`, true);
    return undefined;
  }
  const joined = joinCameraLink(RED, node, source.source.networkId, view, source.source.spec, { reconnect: true });
  if (!joined) return undefined;
  return follow(node, source.source, joined.membership, joined.link, view);
}

function follow(
  node: Node,
  source: CameraSource,
  membership: Membership,
  link: CameraLink,
  view: StatusView,
): CameraNode {
  const endpoint = membership.endpoint;
  let identity: CameraIdentity | undefined;
  const learn = (connected: LinkConnected | undefined): void => {
    if (connected) identity = { uid: connected.uid, did: connected.did, ip: connected.peer.address };
  };
  const onConnected = guarded(node, 'connected', (connected: LinkConnected) => {
    learn(connected);
    view.set(good('connected'));
  });
  const onConnecting = guarded(node, 'connecting', () => view.set(busy('connecting')));
  const onDisconnected = guarded(node, 'disconnected', () => view.set(bad('not connected')));
  link.on('connected', onConnected);
  link.on('connecting', onConnecting);
  link.on('disconnected', onDisconnected);
  learn(link.connected);
  view.set(link.connected ? good('connected') : busy('connecting'));
  link.connect();
  return {
    source,
    link,
    endpoint,
    identity: () => {
      learn(link.connected);
      return { topic: identity?.uid ?? specTopic(source.spec) ?? '', camera: cameraFor(endpoint, identity) };
    },
    leave: () => {
      link.off('connected', onConnected);
      link.off('connecting', onConnecting);
      link.off('disconnected', onDisconnected);
      endpoint.release(link);
      membership.leave();
    },
  };
}
