// A named type import: the package's declarations must not need esModuleInterop (test/e2e/pack.test.ts).
import type { RemoteInfo } from 'node:dgram';
import { type Address } from '../wire/address';
import { buildDhReply } from '../wire/dh';
import { parseDid } from '../wire/did';
import { encodePppp } from '../wire/pppp';
import type { CameraLink } from './camera-link';
import type { Endpoint } from './endpoint';

/**
 * Runs a discovery and a handshake, as a flow does after a deploy, through an endpoint of their
 * own whose sockets send nothing and hear only made-up datagrams, so that the first real ones do
 * not pay V8's first-call costs while a camera waits: each function compiled on its first call,
 * then run by the interpreter without inline caches until it has run a few times. In a fresh
 * process those cost about 1.5 ms between a camera's discovery reply and our LAN_SEARCH, and
 * 0.6 ms between its PUNCH and our echo, where a bare dgram client takes 30-50 µs (bench/cold.ts,
 * issue 14). The stand-in is an Endpoint like any other (same classes, same entry points: scan,
 * the `discovered` event, `link`, `connect`, the socket handlers, the `connected` event), so the
 * code the real endpoint runs is the code that was rehearsed: an earlier rehearsal that called
 * the parts directly (a link on the endpoint's host, a table of its own) missed onDh, settle,
 * link, the scan and the pinned-address config, and left 0.4 ms between the reply and our
 * LAN_SEARCH. The stand-in is closed at the end and leaves nothing behind. Runs once per
 * process, while the first endpoint binds.
 */
let rehearsed = false;

/**
 * Runs, not one: V8 gives a function its inline caches only after several calls, compiles a
 * regular expression to machine code on its second use, and its baseline compiler (Sparkplug)
 * takes functions in batches once they have run for a while. Measured in bench/cold.ts (fresh
 * processes, same run): 3 runs left the first handshake 1.35x the bare client, 20 runs 1.19x;
 * 10 and 15 were no better than 3 (a batch then compiles during the real handshake). 20 runs take
 * about 10 ms more than one, once per process, before the endpoint is ready.
 */
const ROUNDS = 20;
const CAMERA: Address = { address: '192.0.2.1', port: 32100 };
const UID = 'VSTB000000AAAAA';

/**
 * @internal A socket lent to a rehearsing endpoint: what the endpoint does with a bound one
 * (send, close, address), sending nowhere, and it hears what the rehearsal says.
 */
export interface LentSocket {
  /** Without a callback, as dgram's: nobody hears how it went. */
  send(data: Buffer, port: number, address: string, callback?: (error: Error | null) => void): void;
  close(callback: () => void): void;
  address(): { readonly port: number };
  listen(onMessage: (data: Buffer, from: RemoteInfo) => void): void;
}

/** @internal */
export interface LentSockets {
  readonly dh: LentSocket;
  readonly pppp: LentSocket;
}

class MuteSocket implements LentSocket {
  private onMessage: ((data: Buffer, from: RemoteInfo) => void) | undefined;

  listen(onMessage: (data: Buffer, from: RemoteInfo) => void): void {
    this.onMessage = onMessage;
  }

  hear(data: Buffer, from: Address): void {
    this.onMessage?.(data, { address: from.address, family: 'IPv4', port: from.port, size: data.length });
  }

  send(_data: Buffer, _port: number, _address: string, callback?: (error: Error | null) => void): void {
    callback?.(null);
  }

  close(callback: () => void): void {
    callback();
  }

  address(): { readonly port: number } {
    return { port: 0 };
  }
}

/** `stage` makes an endpoint on lent sockets (the endpoint's own constructor, with the same options). */
export function rehearseOnce(stage: (lent: LentSockets) => Endpoint): void {
  if (rehearsed) return;
  rehearsed = true;
  try {
    for (let round = 0; round < ROUNDS; round++) rehearseHandshake(stage);
  } catch {
    // A rehearsal is an optimisation: whatever went wrong here, the real handshake still runs.
  }
}

/**
 * One rehearsal on an endpoint `stage` makes: a scan that hears one camera, a link by UID made
 * at `discovered` (as a flow does), its handshake and one ALIVE. Returns whether the link
 * connected, which is what the tests check: a rehearsal that no longer reaches `connected`
 * would fail silently, and only the first real handshake would show it.
 */
export function rehearseHandshake(stage: (lent: LentSockets) => Endpoint): boolean {
  const made = madeUpDatagrams();
  if (!made) return false;
  const dh = new MuteSocket();
  const pppp = new MuteSocket();
  const endpoint = stage({ dh, pppp });
  let link: CameraLink | undefined;
  let connected = false;
  try {
    endpoint.once('discovered', (sighting) => {
      link = endpoint.link({ kind: 'uid', uid: sighting.record.uid }, { reconnect: false });
      link?.once('connected', () => {
        connected = true;
      });
      link?.connect();
    });
    void endpoint.scan(1000);
    dh.hear(made.reply, CAMERA);
    // The broadcast copy of the reply, which the scan drops unparsed.
    dh.hear(made.reply, CAMERA);
    for (const datagram of made.handshake) pppp.hear(datagram, CAMERA);
    if (link) endpoint.release(link);
  } finally {
    void endpoint.close();
  }
  return connected;
}

interface MadeUp {
  readonly reply: Buffer;
  readonly handshake: readonly Buffer[];
}

function madeUpDatagrams(): MadeUp | undefined {
  const did = parseDid(UID);
  if (!did) return undefined;
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
  const handshake = [
    encodePppp({ kind: 'punch', did }),
    encodePppp({ kind: 'ready', did }),
    encodePppp({ kind: 'alive' }),
  ];
  return { reply, handshake };
}
