// Issue 5, item 5: every table and buffer an outsider can fill has a cap, and the cap holds under
// load: the discovery table, the session table, the CGI request queue, the CGI reassembly buffer
// and the DRW reorder window.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { MAX_PENDING_CGI } from '../../nodes/engine/camera-link';
import { type CameraSighting } from '../../nodes/engine/discovery-table';
import { Endpoint } from '../../nodes/engine/endpoint';
import { DrwReceiver } from '../../nodes/session/drw-receiver';
import { DEFAULT_SESSION_TIMING } from '../../nodes/session/session';
import { CGI_HEADER_LENGTH, CgiReassembler, MAX_CGI_BODY, encodeCgiBlock } from '../../nodes/wire/cgi';
import { buildDhReply } from '../../nodes/wire/dh';
import { parseDid } from '../../nodes/wire/did';
import { LinkRecorder, LoopbackSocket, connected, endpointFor, yieldToLoop } from './support/harness';
import { Rng, runSeed } from './support/random';
import { ScriptedCamera } from './support/scripted-camera';
import { WRITEUP_RECORD } from '../support/vectors';

const FORGED_UIDS = 5000;
const MAX_CAMERAS = 256;

describe('caps', () => {
  test(`discovery table: ${FORGED_UIDS.toLocaleString('en-US')} forged UIDs against maxCameras ${MAX_CAMERAS}: the cap holds, the oldest go first, every eviction counted`, async (t) => {
    const emu = await CameraEmulator.start({ cameras: 1, firstAddress: '127.0.30.1', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu, { maxCameras: MAX_CAMERAS });
    const forger = await LoopbackSocket.open('127.0.30.99');
    try {
      await endpoint.ready();
      await endpoint.scan(300);
      const real = emu.cameras[0];
      assert.ok(real && endpoint.table.get(real.uid));
      let discovered = 0;
      endpoint.on('discovered', () => discovered++);
      const { dh } = endpoint.localPorts;
      assert.ok(dh);
      const uids = Array.from({ length: FORGED_UIDS }, (_, i) => `VSTF${String(200000 + i)}FLOOD`);
      let peak = 0;
      const dhInBefore = endpoint.stats.dhIn;
      for (const [i, uid] of uids.entries()) {
        await forger.sendAwait(buildDhReply({ ...WRITEUP_RECORD, uid }), { address: '127.0.0.1', port: dh });
        if ((i & 31) === 31 || i === uids.length - 1) {
          for (let turn = 0; turn < 100 && endpoint.stats.dhIn - dhInBefore <= i; turn++) await yieldToLoop();
          peak = Math.max(peak, endpoint.table.size);
        }
      }
      const received = endpoint.stats.dhIn - dhInBefore;
      t.diagnostic(
        `${received} of ${FORGED_UIDS} forged replies read; table peak ${peak}/${MAX_CAMERAS}, ${endpoint.table.evictions} evictions, ` +
          `${discovered} discovered events`,
      );
      assert.equal(received, FORGED_UIDS);
      assert.ok(peak <= MAX_CAMERAS);
      assert.equal(endpoint.table.size, MAX_CAMERAS);
      assert.equal(endpoint.table.evictions, FORGED_UIDS + 1 - MAX_CAMERAS, 'the real camera and the oldest forgeries');
      assert.equal(endpoint.table.get(real.uid), undefined, 'the oldest entry (the real camera) went first');
      const kept = new Set(endpoint.cameras().map((s: CameraSighting) => s.record.uid));
      assert.deepEqual([...kept].sort(), uids.slice(-MAX_CAMERAS).sort(), 'exactly the newest 256 are kept');
      // Heard again, a camera comes back (and pushes out the now-oldest forgery).
      await endpoint.scan(300);
      assert.ok(endpoint.table.get(real.uid));
      assert.equal(endpoint.table.size, MAX_CAMERAS);
    } finally {
      await forger.close();
      await endpoint.close();
      await emu.close();
    }
  });

  test('session table: link() refuses beyond maxSessions, and takes one again after a release', async () => {
    const endpoint = new Endpoint({ targets: ['127.255.255.255'], maxSessions: 4 });
    try {
      await endpoint.ready();
      const specs = ['VSTB100001AAAAA', 'VSTB100002AAAAA', 'VSTB100003AAAAA', '127.0.31.4'].map((c) =>
        c.startsWith('127.') ? ({ kind: 'ip', ip: c } as const) : ({ kind: 'uid', uid: c } as const),
      );
      const links = specs.map((spec) => endpoint.link(spec, { reconnect: false }));
      assert.ok(links.every((l) => l !== undefined));
      assert.equal(endpoint.link({ kind: 'uid', uid: 'VSTB100005AAAAA' }, { reconnect: false }), undefined);
      assert.equal(endpoint.link({ kind: 'any' }, { reconnect: false }), undefined);
      // A camera already linked is shared, not refused.
      const again = endpoint.link({ kind: 'uid', uid: 'VSTB100001AAAAA' }, { reconnect: false });
      assert.equal(again, links[0]);
      assert.equal(endpoint.sessionCount, 4);
      const [, second] = links;
      assert.ok(second);
      endpoint.release(second);
      assert.ok(endpoint.link({ kind: 'uid', uid: 'VSTB100005AAAAA' }, { reconnect: false }));
      assert.equal(endpoint.sessionCount, 4);
    } finally {
      await endpoint.close();
    }
  });

  test(`CGI: at most ${MAX_PENDING_CGI} requests wait per camera; the reassembly buffer never exceeds one block`, async (t) => {
    // The engine side: a camera that ACKs requests but never answers them.
    const did = parseDid('VSTB-900002-CAPSX');
    assert.ok(did);
    const fake = await ScriptedCamera.start('127.0.31.1', did, { readyBeforePunch: false });
    const endpoint = new Endpoint({ targets: ['127.255.255.255'], searchPort: fake.searchPort, timeoutMs: 3000 });
    try {
      await endpoint.ready();
      const link = endpoint.link({ kind: 'ip', ip: fake.address }, { reconnect: false });
      assert.ok(link);
      link.connect();
      await connected(link);
      const pending = Array.from({ length: MAX_PENDING_CGI }, () => link.cgi('get_status', {}, undefined, 5000));
      await assert.rejects(link.cgi('get_status', {}, undefined, 5000), /too many CGI requests waiting/);
      link.disconnect();
      const results = await Promise.allSettled(pending);
      assert.ok(
        results.every((r) => r.status === 'rejected'),
        'the waiting ones fail on disconnect',
      );
      endpoint.release(link);
    } finally {
      await endpoint.close();
      await fake.close();
    }

    // The wire side: a hostile channel-0 stream, byte by byte and in random chunks.
    const reassembler = new CgiReassembler();
    const block = encodeCgiBlock({ code: 0, response: true, body: Buffer.alloc(MAX_CGI_BODY, 0x41) });
    let peak = 0;
    for (const byte of block) {
      const result = reassembler.push(Buffer.from([byte]));
      assert.ok(result.ok);
      peak = Math.max(peak, reassembler.bufferedBytes);
    }
    assert.equal(peak, CGI_HEADER_LENGTH + MAX_CGI_BODY - 1);
    assert.equal(reassembler.bufferedBytes, 0, 'a completed block is released');
    const seed = runSeed();
    const rng = new Rng(seed);
    let streamed = 0;
    for (let i = 0; i < 20_000; i++) {
      const chunk = rng.chance(0.1)
        ? encodeCgiBlock({ code: 0, response: true, body: rng.bytes(rng.int(0, 3000)) })
        : rng.bytes(rng.int(0, 1024));
      if (chunk.length >= 2 && rng.chance(0.05)) chunk.writeUInt16LE(0x0a01, 0);
      reassembler.push(chunk);
      streamed += chunk.length;
      peak = Math.max(peak, reassembler.bufferedBytes);
      assert.ok(reassembler.bufferedBytes <= CGI_HEADER_LENGTH + MAX_CGI_BODY + chunk.length);
    }
    t.diagnostic(
      `${MAX_PENDING_CGI} CGI requests waiting, the 17th refused; reassembler peak ${peak} bytes over ${streamed.toLocaleString('en-US')} ` +
        `streamed bytes (cap: one ${CGI_HEADER_LENGTH + MAX_CGI_BODY}-byte block) [seed ${seed}]`,
    );
  });

  test(`DRW receive window: a camera racing ahead holds at most reorderWindow (${DEFAULT_SESSION_TIMING.reorderWindow}) DRWs`, async (t) => {
    const window = DEFAULT_SESSION_TIMING.reorderWindow;
    // Unit: any order of indices, the receiver never holds a full window.
    const rng = new Rng(runSeed());
    const receiver = new DrwReceiver(window);
    let peakHeld = 0;
    for (let i = 0; i < 200_000; i++) {
      receiver.receive(
        rng.chance(0.5) ? (receiver.nextExpected + rng.below(2 * window)) & 0xffff : rng.below(0x10000),
        Buffer.alloc(1),
      );
      peakHeld = Math.max(peakHeld, receiver.heldCount);
    }
    assert.ok(peakHeld < window, `held ${peakHeld}`);

    // Engine: a camera sends audio DRWs 1..3000 but never 0; only the window is held (and ACKed).
    // (Audio: the video channel gives a hole up instead of waiting for it, see test/session/lossy-drw.test.ts.)
    const did = parseDid('VSTB-900003-DRWWN');
    assert.ok(did);
    const fake = await ScriptedCamera.start('127.0.31.2', did, { readyBeforePunch: false });
    const endpoint = new Endpoint({ targets: ['127.255.255.255'], searchPort: fake.searchPort, timeoutMs: 3000 });
    try {
      await endpoint.ready();
      const link = endpoint.link({ kind: 'ip', ip: fake.address }, { reconnect: false });
      assert.ok(link);
      const recorder = new LinkRecorder(link);
      link.connect();
      await connected(link);
      const delivered: number[] = [];
      link.on('data', ({ channel, data }) => {
        if (channel === 2) delivered.push(data.readUInt16BE(0));
      });
      const frame = (index: number): Buffer => {
        const data = Buffer.alloc(64);
        data.writeUInt16BE(index, 0);
        return data;
      };
      for (let index = 1; index <= 3000; index++) {
        fake.sendToPeer({ kind: 'drw', channel: 2, index, data: frame(index) });
        if ((index & 63) === 0) await yieldToLoop();
      }
      // The gap fills: everything held comes out, in order.
      fake.sendToPeer({ kind: 'drw', channel: 2, index: 0, data: frame(0) });
      for (let turn = 0; turn < 200 && (delivered.length < window || !fake.acksOn(2).includes(0)); turn++) {
        await yieldToLoop();
      }
      const acked = new Set(fake.acksOn(2));
      t.diagnostic(
        `unit: 200,000 random indices, peak held ${peakHeld} < ${window}; engine: 3,000 DRWs ahead of a gap, ` +
          `${acked.size - 1} held and ACKed, then ${delivered.length} delivered in order when the gap filled`,
      );
      assert.deepEqual(
        delivered,
        Array.from({ length: window }, (_, i) => i),
      );
      assert.equal(acked.size, window, 'indices 1..63 ACKed while held, then 0');
      assert.ok([...acked].every((i) => i < window));
      recorder.assertAlternates();
      endpoint.release(link);
    } finally {
      await endpoint.close();
      await fake.close();
    }
  });
});
