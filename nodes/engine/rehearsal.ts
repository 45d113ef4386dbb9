import { type Address } from '../wire/address';
import { buildDhReply, isDhProbe, parseDhReply } from '../wire/dh';
import { parseDid } from '../wire/did';
import { encodePppp } from '../wire/pppp';
import { CameraLink, type LinkHost } from './camera-link';
import { DiscoveryTable } from './discovery-table';

/**
 * Runs the code of one discovery and one handshake on made-up datagrams, without a socket, so
 * that the first real ones after a deploy do not pay V8's first-call costs (compiling each
 * function, filling its inline caches) while a camera waits: in a fresh process those cost
 * about 1.5 ms between a camera's discovery reply and our LAN_SEARCH, and 0.6 ms between its
 * PUNCH and our echo, where a bare dgram client takes 30-50 µs (bench/cold.ts, issue 14).
 * The endpoint calls it while its sockets bind, before it is ready, so no scan or handshake
 * waits on it; it runs once per process and takes a few milliseconds.
 */
let rehearsed = false;

const CAMERA: Address = { address: '192.0.2.1', port: 32100 };
const UID = 'VSTB000000AAAAA';

/** What the endpoint lends a rehearsal: its own link host (sending nothing) and its routing. */
export interface RehearsalStage {
  readonly host: LinkHost;
  /** Routes a datagram as if it came from the PPPP socket. */
  readonly deliver: (data: Buffer, from: Address) => void;
  /** Runs the endpoint's read-only look-ups of a new link for this camera. */
  readonly warm: (uid: string, ip: string) => void;
  /** Forgets everything the rehearsal left behind (the link, its timer, the counters it moved). */
  readonly clear: (link: CameraLink) => void;
}

export function rehearseOnce(stage: () => RehearsalStage): void {
  if (rehearsed) return;
  rehearsed = true;
  try {
    rehearse(stage());
  } catch {
    // A rehearsal is an optimisation: whatever went wrong here, the real handshake still runs.
  }
}

function rehearse(stage: RehearsalStage): void {
  const did = parseDid(UID);
  if (!did) return;
  const reply = buildDhReply({
    uid: UID,
    ip: CAMERA.address,
    netmask: '255.255.255.0',
    gateway: '192.0.2.254',
    dns: ['192.0.2.254', '0.0.0.0'],
    mac: '00:00:00:00:00:00',
    httpPort: 80,
    name: 'rehearsal',
    firmware: '0.0.0.0',
    appVersion: '0.0.0.0',
    dhcp: true,
    ddns: { server: '', name: '', user: '', password: '' },
  });
  isDhProbe(reply);
  const parsed = parseDhReply(reply);
  if (parsed.ok) {
    const table = new DiscoveryTable(1);
    table.beginScan();
    table.record(parsed.value, CAMERA.address, 0);
    table.endScan(0);
  }
  stage.warm(UID, CAMERA.address);
  const link = new CameraLink({ kind: 'uid', uid: UID }, stage.host, { reconnect: false });
  try {
    link.connect();
    if (link.state !== 'connecting') return;
    for (const message of [
      { kind: 'punch', did } as const,
      { kind: 'ready', did } as const,
      { kind: 'alive' } as const,
    ])
      stage.deliver(encodePppp(message), CAMERA);
    link.wake(stage.host.now());
  } finally {
    link.halt();
    stage.clear(link);
  }
}
