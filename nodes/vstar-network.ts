import { type Node, type NodeAPI, type NodeDef } from 'node-red';
import { Endpoint, type EndpointState } from './engine/endpoint';
import { registerAdminRoutes } from './adapter/admin';
import { errorMessage, guarded, reportError } from './adapter/guard';
import { type NetworkProperties, parseNetworkConfig } from './adapter/network-config';
import { NetworkHandle, attachHandle, detachHandle } from './adapter/network-handle';

/**
 * `vstar-network` (config node): owns one engine Endpoint, i.e. the DH and PPPP sockets every
 * vstar node on this network shares, and tells its users when the endpoint's state changes.
 * The endpoint binds asynchronously and retries a busy port by itself.
 */
interface NetworkDef extends NodeDef, NetworkProperties {}

export = function (RED: NodeAPI): void {
  registerAdminRoutes(RED);

  function VstarNetworkNode(this: Node, def: NetworkDef): void {
    RED.nodes.createNode(this, def);
    start(this, def);
  }

  function start(node: Node, def: NetworkDef): void {
    const parsed = parseNetworkConfig(def);
    if (!parsed.ok) {
      // No endpoint: the users show the reason in red, and nothing is bound.
      const handle = new NetworkHandle(node.id, undefined, undefined, parsed.error);
      attachHandle(node, handle);
      reportError(node, `invalid configuration: ${parsed.error}`);
      node.on('close', (removed: boolean, done: () => void) => {
        node.debug(removed ? 'removed' : 'restarting');
        handle.clear();
        detachHandle(node);
        done();
      });
      return;
    }
    const options = parsed.options;
    const endpoint = new Endpoint(options);
    const handle = new NetworkHandle(node.id, endpoint, options, undefined);
    attachHandle(node, handle);
    let reported: string | undefined;
    const onState = guarded(node, 'network state', (state: EndpointState, detail: string | undefined) => {
      handle.update(state, detail);
      if (state === 'error' && detail !== reported) {
        reported = detail;
        node.error(`${detail ?? 'cannot bind'}; retrying every ${options.bindRetryMs / 1000} s`);
      } else if (state === 'ready') {
        if (reported !== undefined) node.log(`bound after: ${reported}`);
        reported = undefined;
        const ports = endpoint.localPorts;
        node.debug(`listening on ${options.bind} (DH port ${ports.dh}, PPPP port ${ports.pppp})`);
      }
    });
    const onWarning = guarded(node, 'network warning', (message: string) => node.warn(message));
    endpoint.on('state', onState);
    endpoint.on('warning', onWarning);

    node.on('close', (removed: boolean, done: () => void) => {
      node.debug(removed ? 'removed: closing sockets' : 'restarting: closing sockets');
      endpoint.off('state', onState);
      endpoint.off('warning', onWarning);
      handle.clear();
      detachHandle(node);
      endpoint.close().then(
        () => done(),
        (error: unknown) => {
          reportError(node, `closing the network failed: ${errorMessage(error)}`);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('vstar-network', VstarNetworkNode);
};
