import assert from 'node:assert/strict';
import { type EmulatedCamera } from '../../nodes/camera/emulator';
import { type Address } from '../../nodes/wire/address';
import {
  type CgiCredentials,
  CgiReassembler,
  buildCgiRequest,
  cgiResponseCode,
  isUnsolicitedCgi,
  parseCgiVars,
} from '../../nodes/wire/cgi';
import { decodePppp, encodePppp, type PpppMessage } from '../../nodes/wire/pppp';
import { type Received, type UdpClient } from './udp-client';

export interface Block {
  readonly code: number;
  readonly body: string;
  readonly vars: Record<string, string>;
}

type Drw = Extract<PpppMessage, { kind: 'drw' }>;

function kindOf(r: Received): PpppMessage['kind'] | undefined {
  const decoded = decodePppp(r.data);
  return decoded.ok ? decoded.value.kind : undefined;
}

function drwOf(r: Received): Drw | undefined {
  const decoded = decodePppp(r.data);
  return decoded.ok && decoded.value.kind === 'drw' ? decoded.value : undefined;
}

/**
 * A bare client session on real UDP: handshakes by hand, sends CGI requests as DRWs, ACKs every
 * DRW of the camera and reassembles its response blocks. Pushed frames are set aside by the rule
 * the real client must follow (`isUnsolicitedCgi`), so each request gets its own answer.
 */
export class CgiSession {
  private nextIndex = 0;
  private readonly reassembler = new CgiReassembler();
  private readonly blocks: Block[] = [];
  /** Indices of the camera's DRWs already taken: a retransmission (our ACK was late) is skipped. */
  private readonly seen = new Set<number>();
  /** Frames the camera pushed unasked, in arrival order. */
  readonly pushed: Block[] = [];

  private constructor(
    private readonly client: UdpClient,
    readonly cameraAt: Address,
  ) {}

  static async open(client: UdpClient, camera: EmulatedCamera, searchPort: number): Promise<CgiSession> {
    client.send(encodePppp({ kind: 'lan-search' }), { address: camera.ip, port: searchPort });
    const punch = await client.takeOne((r) => kindOf(r) === 'punch', 'PUNCH_PKT');
    client.send(punch.data, punch.from);
    await client.takeOne((r) => kindOf(r) === 'ready', 'P2P_RDY');
    return new CgiSession(client, punch.from);
  }

  /** Sends one request and waits for the block that answers it (by the rule above). */
  async ask(cgi: string, params: Record<string, string>, credentials?: CgiCredentials): Promise<Block> {
    this.send(buildCgiRequest(cgi, params, credentials));
    return this.answerFor(cgiResponseCode(cgi));
  }

  send(request: Buffer): void {
    this.client.send(encodePppp({ kind: 'drw', channel: 0, index: this.nextIndex++, data: request }), this.cameraAt);
  }

  /** The next response block that is not a push for a request expecting `expectedCode`. */
  async answerFor(expectedCode: number | undefined): Promise<Block> {
    for (;;) {
      const block = this.blocks.shift() ?? (await this.nextBlock());
      if (isUnsolicitedCgi(block.code, expectedCode)) this.pushed.push(block);
      else return block;
    }
  }

  /** Waits until a pushed block matching `match` has arrived. */
  async waitForPush(match: (block: Block) => boolean): Promise<Block> {
    for (;;) {
      const seen = this.pushed.find(match);
      if (seen) return seen;
      const block = this.blocks.shift() ?? (await this.nextBlock());
      this.pushed.push(block);
    }
  }

  private async nextBlock(): Promise<Block> {
    for (;;) {
      const received = await this.client.takeOne((r) => drwOf(r)?.channel === 0, 'channel-0 DRW');
      const drw = drwOf(received);
      assert.ok(drw);
      this.client.send(encodePppp({ kind: 'drw-ack', channel: 0, indices: [drw.index] }), this.cameraAt);
      if (this.seen.has(drw.index)) continue;
      this.seen.add(drw.index);
      const blocks = this.reassembler.push(drw.data);
      assert.ok(blocks.ok);
      for (const block of blocks.value) {
        const body = block.body.toString('utf8');
        this.blocks.push({ code: block.code, body, vars: parseCgiVars(body) });
      }
      const first = this.blocks.shift();
      if (first) return first;
    }
  }
}
