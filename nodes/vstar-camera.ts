import { type Node, type NodeAPI, type NodeDef } from 'node-red';
import { parseCameraSpec } from './engine/camera-spec';
import { reportError } from './adapter/guard';
import { attachDevice, credentialsFrom, detachDevice } from './adapter/camera-source';

/**
 * `vstar-camera` (config node): one camera on one vstar-network, with its login. Every node that
 * names it shares one camera link (the endpoint shares links by camera). It opens nothing itself:
 * the nodes using it take their share of the link. Its credentials are Node-RED credentials, so
 * they never reach a flow file, a message, a log line or a status.
 */
interface CameraDef extends NodeDef {
  readonly network?: unknown;
  readonly camera?: unknown;
}

export = function (RED: NodeAPI): void {
  function VstarCameraNode(this: Node, def: CameraDef): void {
    RED.nodes.createNode(this, def);
    const parsed = parseCameraSpec(def.camera);
    const name = typeof def.name === 'string' && def.name.trim() !== '' ? def.name.trim() : String(def.camera ?? '');
    if (!parsed.ok) reportError(this, `invalid camera: ${parsed.error}`);
    attachDevice(this, {
      networkId: def.network,
      spec: parsed.ok ? parsed.spec : undefined,
      error: parsed.ok ? undefined : parsed.error,
      credentials: credentialsFrom((this as Node & { credentials?: unknown }).credentials),
      name,
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      detachDevice(this);
      done();
    });
  }

  RED.nodes.registerType('vstar-camera', VstarCameraNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
};
