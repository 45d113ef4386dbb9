// The fake camera of PROTOCOL.md §4, on its own 127.x address: it answers every DH probe and
// LAN_SEARCH it can see with a forged reply for a real camera's UID, answers a PUNCH echo with
// P2P_RDY as a camera would (to finish a hijack), and can flood forged DH replies and PPPP
// handshake packets at an endpoint. It records everything sent to its session socket: had a
// client picked it, PUNCH echoes and CGI requests with credentials would land there.
import { buildDhReply, type DhRecord, isDhProbe } from '../../../nodes/wire/dh';
import { type Address } from '../../../nodes/wire/address';
import { type Did } from '../../../nodes/wire/did';
import { decodePppp, encodePppp } from '../../../nodes/wire/pppp';
import { LoopbackSocket } from './harness';

export class FakeCamera {
  /** Datagrams that reached the attacker's session socket, by kind. */
  readonly stolen: { kind: string; from: Address }[] = [];
  forgedReplies = 0;
  forgedPunches = 0;
  private floodTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly ip: string,
    private readonly did: Did,
    private readonly record: DhRecord,
    private readonly dhWatch: LoopbackSocket,
    private readonly searchWatch: LoopbackSocket,
    readonly session: LoopbackSocket,
  ) {
    dhWatch.onMessage((data, from) => {
      if (isDhProbe(data)) this.forgeReply(from);
    });
    searchWatch.onMessage((data, from) => {
      const decoded = decodePppp(data);
      if (decoded.ok && (decoded.value.kind === 'lan-search' || decoded.value.kind === 'lan-search-ext'))
        this.forgePunch(from);
    });
    session.onMessage((data, from) => {
      const decoded = decodePppp(data);
      const kind = decoded.ok ? decoded.value.kind : 'junk';
      this.stolen.push({ kind, from });
      // A PUNCH echo means a client took the bait: finish the handshake as the real camera would.
      if (kind === 'punch') for (let i = 0; i < 3; i++) session.send(encodePppp({ kind: 'ready', did }), from);
    });
  }

  /**
   * Listens beside the real cameras on the shared DH and search ports (SO_REUSEADDR, so it hears
   * the broadcasts too) and sends from `ip`. `record` is what it claims: by default a copy of the
   * real camera's DH reply, IP field included.
   */
  static async start(
    ip: string,
    ports: { dh: number; search: number },
    did: Did,
    record: DhRecord,
  ): Promise<FakeCamera> {
    const dhWatch = await LoopbackSocket.open('0.0.0.0', ports.dh, true);
    const searchWatch = await LoopbackSocket.open('0.0.0.0', ports.search, true);
    const session = await LoopbackSocket.open(ip);
    return new FakeCamera(ip, did, record, dhWatch, searchWatch, session);
  }

  /** Datagrams the attacker received on its session socket, of any kind. */
  get stolenCount(): number {
    return this.stolen.length;
  }

  forgeReply(to: Address): void {
    this.forgedReplies++;
    this.session.send(buildDhReply(this.record), to);
  }

  forgePunch(to: Address): void {
    this.forgedPunches++;
    this.session.send(encodePppp({ kind: 'punch', did: this.did }), to);
  }

  /** Every `everyMs`: a forged DH reply to `dh`, and a forged PUNCH, P2P_RDY, ALIVE and CLOSE to `pppp`. */
  flood(dh: Address, pppp: Address, everyMs = 10): void {
    this.stopFlood();
    this.floodTimer = setInterval(() => {
      this.forgeReply(dh);
      this.forgePunch(pppp);
      this.session.send(encodePppp({ kind: 'ready', did: this.did }), pppp);
      this.session.send(encodePppp({ kind: 'alive' }), pppp);
      this.session.send(encodePppp({ kind: 'close' }), pppp);
    }, everyMs);
  }

  stopFlood(): void {
    if (this.floodTimer) clearInterval(this.floodTimer);
    this.floodTimer = undefined;
  }

  async close(): Promise<void> {
    this.stopFlood();
    await Promise.all([this.dhWatch.close(), this.searchWatch.close(), this.session.close()]);
  }
}
