import { type NodeAPI } from 'node-red';
import { DEFAULT_ENDPOINT_OPTIONS, Endpoint, type ScanResult } from '../engine/endpoint';
import { formatDid, parseDid } from '../wire/did';
import { errorMessage } from './guard';
import { localBroadcasts } from './interfaces';
import { type NetworkHandle, handleOf } from './network-handle';
import { type ScanQuery, parseScanQuery } from './scan-query';

/**
 * The editor's admin endpoints, relative to the admin root (the editor calls them without a
 * leading slash, so they work under any `httpAdminRoot`):
 *   GET vstar-p2p/interfaces  local IPv4 interfaces with their broadcast addresses
 *   GET vstar-p2p/scan        a discovery scan, through the deployed network or a temporary one
 */
export const ADMIN_PERMISSION = 'vstar-network.read';
export const INTERFACES_PATH = '/vstar-p2p/interfaces';
export const SCAN_PATH = '/vstar-p2p/scan';
/** Temporary endpoints at once: each Scan click before a deploy binds two sockets for a moment. */
const MAX_TEMPORARY_SCANS = 4;
/** Binding a temporary endpoint normally takes a millisecond; this only guards against a hang. */
const BIND_WAIT_MS = 3000;

export interface ScanAnswerCamera {
  readonly uid: string;
  readonly did: string;
  readonly ip: string;
  readonly name: string;
  readonly httpPort: number;
}

export interface ScanAnswer {
  readonly source: 'deployed' | 'temporary';
  readonly cameras: ScanAnswerCamera[];
  readonly count: number;
  readonly targets: readonly string[];
  readonly port: number;
  readonly durationMs: number;
  readonly errors: readonly string[];
  /** What to check when nothing answered. */
  readonly hints: string[];
  readonly note?: string;
}

export function registerAdminRoutes(RED: NodeAPI): void {
  let temporaryScans = 0;
  const permission = RED.auth.needsPermission(ADMIN_PERMISSION);
  RED.httpAdmin.get(INTERFACES_PATH, permission, (_req, res) => {
    try {
      res.json({ interfaces: localBroadcasts() });
    } catch (error) {
      res.status(500).json({ error: errorMessage(error) });
    }
  });
  RED.httpAdmin.get(SCAN_PATH, permission, (req, res) => {
    const parsed = parseScanQuery(req.query);
    if (!parsed.ok) {
      res.status(400).json({ error: parsed.error });
      return;
    }
    const query = parsed.query;
    const deployed = query.network === undefined ? undefined : handleOf(RED.nodes.getNode(query.network));
    const endpoint = deployed?.endpoint;
    if (deployed && endpoint && endpoint.state === 'ready' && matchesDeployed(deployed, query)) {
      endpoint.scan(query.windowMs).then(
        (result) => res.json(answer('deployed', result, query.windowMs)),
        (error: unknown) => res.status(500).json({ error: errorMessage(error) }),
      );
      return;
    }
    if (temporaryScans >= MAX_TEMPORARY_SCANS) {
      res.status(429).json({ error: 'too many scans at once; try again in a moment' });
      return;
    }
    temporaryScans++;
    const note =
      deployed && endpoint && endpoint.state !== 'ready'
        ? `the deployed network is not ready (${endpoint.stateMessage ?? endpoint.state}); scanned with a temporary socket`
        : undefined;
    temporaryScan(deployed, query)
      .then(
        (result) => res.json({ ...answer('temporary', result, query.windowMs), ...(note ? { note } : {}) }),
        (error: unknown) => res.status(500).json({ error: errorMessage(error) }),
      )
      .finally(() => temporaryScans--);
  });
}

/** The deployed endpoint serves the scan only if the dialog's settings are the deployed ones. */
function matchesDeployed(handle: NetworkHandle, query: ScanQuery): boolean {
  const options = handle.options;
  if (!options) return false;
  if (query.bind !== undefined && query.bind !== options.bind) return false;
  if (query.dhPort !== undefined && query.dhPort !== options.dhPort) return false;
  if (query.targets !== undefined && [...query.targets].sort().join() !== [...options.targets].sort().join()) {
    return false;
  }
  return true;
}

/**
 * Scans with an endpoint of its own (any free local ports), for a network not deployed yet or
 * deployed with other settings, and closes it again.
 */
async function temporaryScan(deployed: NetworkHandle | undefined, query: ScanQuery): Promise<ScanResult> {
  const base = deployed?.options ?? DEFAULT_ENDPOINT_OPTIONS;
  const endpoint = new Endpoint({
    bind: query.bind ?? base.bind,
    targets: query.targets ?? base.targets,
    dhPort: query.dhPort ?? base.dhPort,
    localDhPort: 0,
    localPort: 0,
    bindRetryMs: 60_000,
  });
  try {
    const bindError = await bound(endpoint);
    if (bindError !== undefined) {
      return {
        cameras: [],
        targets: endpoint.options.targets,
        port: endpoint.options.dhPort,
        durationMs: 0,
        errors: [bindError],
      };
    }
    return await endpoint.scan(query.windowMs);
  } finally {
    await endpoint.close();
  }
}

/** Resolves undefined once the endpoint is ready, or the reason it could not bind. */
function bound(endpoint: Endpoint): Promise<string | undefined> {
  return new Promise((resolve) => {
    const finish = (result: string | undefined): void => {
      clearTimeout(timer);
      endpoint.off('state', onState);
      resolve(result);
    };
    const onState = (state: string, detail: string | undefined): void => {
      if (state === 'ready') finish(undefined);
      else if (state === 'error') finish(detail ?? 'cannot bind');
    };
    const timer = setTimeout(() => finish('timed out binding a socket'), BIND_WAIT_MS);
    endpoint.on('state', onState);
    if (endpoint.state === 'ready') finish(undefined);
  });
}

function answer(source: ScanAnswer['source'], result: ScanResult, windowMs: number): ScanAnswer {
  const cameras = result.cameras.map(({ record, address }) => ({
    uid: record.uid,
    did: didOf(record.uid),
    ip: record.ip !== '' ? record.ip : address,
    name: record.name,
    httpPort: record.httpPort,
  }));
  return {
    source,
    cameras,
    count: cameras.length,
    targets: result.targets,
    port: result.port,
    durationMs: Math.round(result.durationMs),
    errors: result.errors,
    hints: cameras.length > 0 ? [] : hints(result, windowMs),
  };
}

function hints(result: ScanResult, windowMs: number): string[] {
  return [
    `No camera answered a probe to ${result.targets.join(', ')} (UDP port ${result.port}) within ${windowMs} ms.`,
    "Broadcast address: on a host with several interfaces (or Docker bridges) 255.255.255.255 may leave by the wrong one; pick your LAN interface's broadcast address (e.g. 192.168.1.255) in the network node, or enter the camera's IP.",
    `Firewall: UDP port ${result.port} must be allowed out, and the replies (from the camera's port ${result.port}) allowed back in.`,
    'Docker: broadcasts do not cross the Docker bridge; run Node-RED with host networking (--network host).',
    'The camera must be powered, on the same LAN segment as Node-RED, and not on a guest Wi-Fi that isolates clients.',
  ];
}

function didOf(uid: string): string {
  const did = parseDid(uid);
  return did ? formatDid(did) : uid;
}
