import assert from 'node:assert/strict';
import { type CameraAction } from '../../nodes/camera/actions';
import { type CameraMachine } from '../../nodes/camera/camera-machine';
import { type CgiCredentials, CgiReassembler, buildCgiRequest, parseCgiVars } from '../../nodes/wire/cgi';
import { type PpppMessage } from '../../nodes/wire/pppp';
import { messages, send } from './helpers';

export const ADMIN: CgiCredentials = { user: 'admin', password: '888888' };

export type Drw = Extract<PpppMessage, { kind: 'drw' }>;

export function drws(out: readonly CameraAction[]): Drw[] {
  return messages(out).filter((m): m is Drw => m.kind === 'drw');
}

export interface Answer {
  readonly code: number;
  readonly body: string;
  readonly vars: Record<string, string>;
}

/** Reassembles every response block the camera sent in `out`; fails on a request block or leftovers. */
export function answers(out: readonly CameraAction[]): Answer[] {
  const reassembler = new CgiReassembler();
  const found: Answer[] = [];
  for (const drw of drws(out)) {
    assert.equal(drw.channel, 0);
    const blocks = reassembler.push(drw.data);
    assert.ok(blocks.ok);
    for (const block of blocks.value) {
      assert.equal(block.response, true);
      const body = block.body.toString('utf8');
      found.push({ code: block.code, body, vars: parseCgiVars(body) });
    }
  }
  assert.equal(reassembler.bufferedBytes, 0);
  return found;
}

/**
 * A client's side of channel 0 for machine tests: numbers its DRWs, ACKs the camera's, and returns
 * the answers each request produced.
 */
export class CgiClient {
  private nextIndex = 0;

  constructor(
    readonly camera: CameraMachine,
    private readonly credentials: CgiCredentials | undefined = ADMIN,
  ) {}

  /** Sends one request at `nowMs`; returns every response block it caused. */
  ask(cgi: string, params: Record<string, string> = {}, nowMs = 10, credentials = this.credentials): Answer[] {
    return this.sendRaw(buildCgiRequest(cgi, params, credentials), nowMs);
  }

  /** Like `ask`, but there must be exactly one answer. */
  one(cgi: string, params: Record<string, string> = {}, nowMs = 10, credentials = this.credentials): Answer {
    const got = this.ask(cgi, params, nowMs, credentials);
    assert.equal(got.length, 1, `one answer to ${cgi}, got ${JSON.stringify(got)}`);
    const [first] = got;
    assert.ok(first);
    return first;
  }

  sendRaw(data: Buffer, nowMs = 10): Answer[] {
    const out = send(this.camera, 'session', { kind: 'drw', channel: 0, index: this.nextIndex++, data }, nowMs);
    this.ack(out, nowMs);
    return answers(out);
  }

  /** ACKs every channel-0 DRW in `out`, so nothing is retransmitted. */
  ack(out: readonly CameraAction[], nowMs: number): void {
    const indices = drws(out).map((d) => d.index);
    if (indices.length > 0) send(this.camera, 'session', { kind: 'drw-ack', channel: 0, indices }, nowMs);
  }
}
