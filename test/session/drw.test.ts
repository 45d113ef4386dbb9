import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { type PpppMessage } from '../../nodes/wire/pppp';
import { DrwReceiver } from '../../nodes/session/drw-receiver';
import { DrwSender, type DrwSenderLimits } from '../../nodes/session/drw-sender';
import { DEFAULT_SESSION_TIMING, Session } from '../../nodes/session/session';
import {
  CAMERA_ADDRESS,
  FakeCamera,
  actionsOf,
  connectedSession,
  events,
  eventsOfType,
  hex,
  makeConfig,
  runUntil,
  sends,
} from './fake-camera';

const camera = new FakeCamera();

function chunk(n: number): Buffer {
  return Buffer.from(`chunk-${n}`);
}

function acks(messages: readonly PpppMessage[]): { channel: number; indices: readonly number[] }[] {
  const out: { channel: number; indices: readonly number[] }[] = [];
  for (const m of messages) if (m.kind === 'drw-ack') out.push({ channel: m.channel, indices: m.indices });
  return out;
}

function drws(messages: readonly PpppMessage[]): { channel: number; index: number; data: Buffer }[] {
  const out: { channel: number; index: number; data: Buffer }[] = [];
  for (const m of messages) if (m.kind === 'drw') out.push({ channel: m.channel, index: m.index, data: m.data });
  return out;
}

function delivered(actions: Parameters<typeof events>[0]): string[] {
  return eventsOfType(actions, 'data').map((e) => `${e.channel}:${e.data.toString()}`);
}

describe('DRW receive through the session', () => {
  test('the PROTOCOL.md §5 ACK vector: a DRW with index 0 on channel 0 is ACKed as f1 d1 00 06 d1 00 00 01 00 00', () => {
    const session = connectedSession(camera);
    const step = session.receive(camera.drw(0, 0, Buffer.from('result= 0;\r\n')), camera.address, 100);
    assert.deepEqual(sends(step.actions), [{ to: CAMERA_ADDRESS, data: hex('f1 d1 00 06 d1 00 00 01 00 00') }]);
    assert.deepEqual(eventsOfType(step.actions, 'data'), [
      { type: 'data', channel: 0, data: Buffer.from('result= 0;\r\n'), index: 0 },
    ]);
  });

  test('every DRW is ACKed with its index, including duplicates and out-of-order ones', () => {
    const session = connectedSession(camera);
    const order = [0, 2, 1, 1, 0, 3, 2];
    const ackedIndices: number[] = [];
    const out: string[] = [];
    for (const index of order) {
      const step = session.receive(camera.drw(1, index, chunk(index)), camera.address, 100);
      const stepAcks = acks(camera.inbox(step.actions));
      assert.equal(stepAcks.length, 1, `one ACK for index ${index}`);
      assert.equal(stepAcks[0]?.channel, 1);
      ackedIndices.push(...(stepAcks[0]?.indices ?? []));
      out.push(...delivered(step.actions));
    }
    assert.deepEqual(ackedIndices, order);
    assert.deepEqual(out, ['1:chunk-0', '1:chunk-1', '1:chunk-2', '1:chunk-3']);
    assert.equal(session.stats.duplicates, 3);
    assert.equal(session.stats.drwIn, order.length);
  });

  test('out-of-order DRWs are held and flushed in order when the gap fills', () => {
    const session = connectedSession(camera);
    assert.deepEqual(delivered(session.receive(camera.drw(0, 3, chunk(3)), camera.address, 1).actions), []);
    assert.deepEqual(delivered(session.receive(camera.drw(0, 1, chunk(1)), camera.address, 2).actions), []);
    assert.deepEqual(delivered(session.receive(camera.drw(0, 0, chunk(0)), camera.address, 3).actions), [
      '0:chunk-0',
      '0:chunk-1',
    ]);
    assert.deepEqual(delivered(session.receive(camera.drw(0, 2, chunk(2)), camera.address, 4).actions), [
      '0:chunk-2',
      '0:chunk-3',
    ]);
  });

  test('the command channel keeps its place between DRWs: in order, then a duplicate, then a gap filled later', () => {
    // Channel 0 keeps no receiver while nothing waits out of order (issue 12): its next expected
    // index must survive that, or a duplicate would be delivered again and a gap never noticed.
    const session = connectedSession(camera);
    const deliveredAt = (index: number, at: number): string[] =>
      delivered(session.receive(camera.drw(0, index, chunk(index)), camera.address, at).actions);
    assert.deepEqual(deliveredAt(0, 1), ['0:chunk-0']);
    assert.deepEqual(deliveredAt(1, 2), ['0:chunk-1']);
    assert.deepEqual(deliveredAt(1, 3), [], 'a duplicate is not delivered twice');
    assert.deepEqual(deliveredAt(0, 4), [], 'nor an older one');
    assert.deepEqual(deliveredAt(3, 5), [], 'index 2 is missing: 3 waits');
    assert.deepEqual(deliveredAt(2, 6), ['0:chunk-2', '0:chunk-3']);
    assert.deepEqual(deliveredAt(4, 7), ['0:chunk-4']);
  });

  test('channels are independent', () => {
    const session = connectedSession(camera);
    const a = session.receive(camera.drw(0, 0, chunk(0)), camera.address, 1);
    const b = session.receive(camera.drw(2, 0, chunk(0)), camera.address, 2);
    const c = session.receive(camera.drw(2, 1, chunk(1)), camera.address, 3);
    assert.deepEqual(
      [...delivered(a.actions), ...delivered(b.actions), ...delivered(c.actions)],
      ['0:chunk-0', '2:chunk-0', '2:chunk-1'],
    );
    assert.deepEqual(acks(camera.inbox(c.actions)), [{ channel: 2, indices: [1] }]);
  });

  test('a DRW at or beyond the reorder window is neither held nor ACKed', () => {
    const session = connectedSession(camera, makeConfig({ reorderWindow: 8 }));
    const far = session.receive(camera.drw(0, 8, chunk(8)), camera.address, 1);
    assert.equal(far.accepted, true);
    assert.deepEqual(far.actions, []);
    const edge = session.receive(camera.drw(0, 7, chunk(7)), camera.address, 2);
    assert.deepEqual(acks(camera.inbox(edge.actions)), [{ channel: 0, indices: [7] }]);
  });

  test('channels above 3 are ignored: no ACK, no data', () => {
    const session = connectedSession(camera);
    for (const channel of [4, 5, 200, 255]) {
      const step = session.receive(camera.drw(channel, 0, chunk(0)), camera.address, 1);
      assert.equal(step.accepted, true);
      assert.deepEqual(step.actions, [], `channel ${channel}`);
    }
    assert.equal(
      delivered(session.receive(camera.drw(3, 0, chunk(0)), camera.address, 2).actions).length,
      1,
      'channel 3 works',
    );
  });

  test('DRWs are neither ACKed nor delivered before P2P_RDY or after close', () => {
    const punching = new Session(makeConfig());
    punching.start(0);
    punching.receive(camera.punch(), camera.address, 1);
    assert.deepEqual(punching.receive(camera.drw(0, 0, chunk(0)), camera.address, 2).actions, []);
    const closed = connectedSession(camera);
    closed.close();
    assert.deepEqual(closed.receive(camera.drw(0, 0, chunk(0)), camera.address, 3).actions, []);
  });
});

describe('DrwReceiver', () => {
  test('wraps from 0xFFFF to 0 after 65536 in-order DRWs', () => {
    const receiver = new DrwReceiver(64);
    const data = Buffer.alloc(0);
    for (let i = 0; i < 0xffff; i++) {
      const result = receiver.receive(i, data);
      if (result.deliver.length !== 1) assert.fail(`index ${i} not delivered`);
    }
    assert.equal(receiver.nextExpected, 0xffff);
    // Out of order across the wrap: 0 and 1 arrive before 0xFFFF.
    assert.deepEqual(receiver.receive(1, chunk(1)), { ack: [1], deliver: [], duplicate: false, overflow: false });
    assert.deepEqual(receiver.receive(0, chunk(0)), { ack: [0], deliver: [], duplicate: false, overflow: false });
    const flushed = receiver.receive(0xffff, chunk(0xffff));
    assert.deepEqual(flushed.deliver, [chunk(0xffff), chunk(0), chunk(1)]);
    assert.deepEqual(flushed.ack, [0xffff]);
    assert.equal(receiver.nextExpected, 2);
    assert.equal(receiver.heldCount, 0);
    // The indices just before the wrap are now the past: duplicates, still ACKed.
    assert.deepEqual(receiver.receive(0xfffe, chunk(0)), {
      ack: [0xfffe],
      deliver: [],
      duplicate: true,
      overflow: false,
    });
    assert.deepEqual(receiver.receive(1, chunk(1)), { ack: [1], deliver: [], duplicate: true, overflow: false });
  });

  test('a duplicate of a held DRW is ACKed and dropped', () => {
    const receiver = new DrwReceiver(64);
    receiver.receive(2, chunk(2));
    assert.deepEqual(receiver.receive(2, chunk(99)), { ack: [2], deliver: [], duplicate: true, overflow: false });
    receiver.receive(1, chunk(1));
    assert.deepEqual(receiver.receive(0, chunk(0)).deliver, [chunk(0), chunk(1), chunk(2)]);
  });

  test('held data is copied, so a reused socket buffer cannot change it', () => {
    const receiver = new DrwReceiver(64);
    const buf = Buffer.from('held');
    receiver.receive(1, buf);
    buf.fill(0);
    const out = receiver.receive(0, chunk(0));
    assert.deepEqual(out.deliver[1], Buffer.from('held'));
  });

  test('reorderWindow bounds what is held: distance window-1 held, window overflows', () => {
    const receiver = new DrwReceiver(4);
    assert.equal(receiver.receive(3, chunk(3)).overflow, false);
    assert.deepEqual(receiver.receive(4, chunk(4)), { ack: [], deliver: [], duplicate: false, overflow: true });
    assert.equal(receiver.heldCount, 1);
  });
});

describe('DRW send through the session', () => {
  test('sendData on channel 0 emits DRW index 0, 1, 2 ... to the peer', () => {
    const session = connectedSession(camera);
    const sent: { channel: number; index: number; data: Buffer }[] = [];
    for (let i = 0; i < 5; i++) {
      const actions = session.sendData(0, chunk(i), 100 + i);
      assert.ok(actions);
      assert.deepEqual(
        sends(actions).map((s) => s.to),
        [CAMERA_ADDRESS],
      );
      sent.push(...drws(camera.inbox(actions)));
    }
    assert.deepEqual(
      sent,
      [0, 1, 2, 3, 4].map((i) => ({ channel: 0, index: i, data: chunk(i) })),
    );
  });

  test('a CGI request goes out as the PROTOCOL.md §5 check_user vector', () => {
    const body = 'GET /check_user.cgi?name=123456789&loginuse=admin&loginpas=password&user=admin&pwd=password&';
    const payload = Buffer.concat([hex('01 0a 00 00 5c 00 00 00'), Buffer.from(body)]);
    const session = connectedSession(camera);
    const actions = session.sendData(0, payload, 100);
    assert.ok(actions);
    assert.deepEqual(sends(actions), [
      { to: CAMERA_ADDRESS, data: Buffer.concat([hex('f1 d0 00 68 d1 00 00 00'), payload]) },
    ]);
  });

  test('data longer than 1024 bytes is split into consecutive DRWs', () => {
    const session = connectedSession(camera);
    const data = Buffer.alloc(2500);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    const actions = session.sendData(1, data, 100);
    assert.ok(actions);
    const out = drws(camera.inbox(actions));
    assert.deepEqual(
      out.map((d) => [d.channel, d.index, d.data.length]),
      [
        [1, 0, 1024],
        [1, 1, 1024],
        [1, 2, 452],
      ],
    );
    assert.deepEqual(Buffer.concat(out.map((d) => d.data)), data);
  });

  test('an un-ACKed DRW is retransmitted with the same index after retransmitMs; the ACK stops it', () => {
    const retransmitMs = DEFAULT_SESSION_TIMING.drw.retransmitMs;
    const session = connectedSession(camera, makeConfig({ keepaliveIdleMs: 100_000, lostAfterMs: 200_000 }), 0, 20);
    session.sendData(0, chunk(0), 100);
    session.sendData(0, chunk(1), 100);
    assert.equal(session.nextWakeMs(), 100 + retransmitMs);
    assert.deepEqual(session.tick(100 + retransmitMs - 1), []);
    const first = drws(camera.inbox(session.tick(100 + retransmitMs)));
    assert.deepEqual(first, [
      { channel: 0, index: 0, data: chunk(0) },
      { channel: 0, index: 1, data: chunk(1) },
    ]);
    assert.equal(session.stats.retransmits, 2);
    session.receive(camera.drwAck(0, [0]), camera.address, 100 + retransmitMs + 10);
    const second = drws(camera.inbox(session.tick(100 + 2 * retransmitMs)));
    assert.deepEqual(second, [{ channel: 0, index: 1, data: chunk(1) }]);
    session.receive(camera.drwAck(0, [1]), camera.address, 100 + 2 * retransmitMs + 10);
    assert.deepEqual(runUntil(session, 100 + 2 * retransmitMs + 10, 50_000), []);
  });

  test('an ACK marked d2 (the CS2 library in some states) stops the retransmits too', () => {
    const retransmitMs = DEFAULT_SESSION_TIMING.drw.retransmitMs;
    const session = connectedSession(camera, makeConfig({ keepaliveIdleMs: 100_000, lostAfterMs: 200_000 }), 0, 20);
    session.sendData(0, chunk(0), 100);
    const ackD2 = Buffer.from(camera.drwAck(0, [0]));
    ackD2[4] = 0xd2;
    session.receive(ackD2, camera.address, 110);
    assert.deepEqual(drws(camera.inbox(actionsOf(runUntil(session, 110, 100 + 3 * retransmitMs)))), []);
    assert.equal(session.stats.retransmits, 0);
  });

  test('after maxTries a drw-failed event and no more sends for it', () => {
    const drw: DrwSenderLimits = { retransmitMs: 100, maxTries: 3, maxInFlight: 8, maxQueued: 16 };
    const session = connectedSession(
      camera,
      makeConfig({ drw, keepaliveIdleMs: 100_000, lostAfterMs: 200_000 }),
      0,
      20,
    );
    const initial = session.sendData(2, chunk(0), 100);
    assert.ok(initial);
    const timed = runUntil(session, 100, 5000);
    const resent = drws(camera.inbox(actionsOf(timed)));
    assert.equal(resent.length, 2, '3 tries in all: the first send and two retransmits');
    assert.ok(resent.every((d) => d.index === 0 && d.channel === 2));
    assert.deepEqual(eventsOfType(actionsOf(timed), 'drw-failed'), [{ type: 'drw-failed', channel: 2, index: 0 }]);
    assert.deepEqual(
      timed.filter((t) => t.action.kind === 'event').map((t) => t.atMs),
      [400],
    );
    assert.deepEqual(runUntil(session, 5000, 100_000), []);
  });

  test('stats.retransmits counts true retransmissions, not queued DRWs sent into freed slots', () => {
    const drw: DrwSenderLimits = { retransmitMs: 100, maxTries: 2, maxInFlight: 1, maxQueued: 4 };
    const session = connectedSession(
      camera,
      makeConfig({ drw, keepaliveIdleMs: 100_000, lostAfterMs: 200_000 }),
      0,
      20,
    );
    session.sendData(0, chunk(0), 100);
    session.sendData(0, chunk(1), 100);
    assert.equal(drws(camera.inbox(session.tick(200))).length, 1);
    assert.equal(session.stats.retransmits, 1);
    const gaveUp = session.tick(300);
    assert.deepEqual(eventsOfType(gaveUp, 'drw-failed'), [{ type: 'drw-failed', channel: 0, index: 0 }]);
    assert.deepEqual(drws(camera.inbox(gaveUp)), [{ channel: 0, index: 1, data: chunk(1) }]);
    assert.equal(session.stats.retransmits, 1, 'index 1 went out for the first time');
    assert.equal(session.stats.drwOut, 3);
  });

  test('the maxInFlight window holds back DRWs until ACKs free slots', () => {
    const drw: DrwSenderLimits = { retransmitMs: 300, maxTries: 8, maxInFlight: 2, maxQueued: 16 };
    const session = connectedSession(camera, makeConfig({ drw }));
    const first = session.sendData(0, Buffer.concat([chunk(0), Buffer.alloc(2048)]), 100);
    assert.ok(first);
    assert.deepEqual(
      drws(camera.inbox(first)).map((d) => d.index),
      [0, 1],
    );
    const afterAck = session.receive(camera.drwAck(0, [0]), camera.address, 110);
    assert.deepEqual(
      drws(camera.inbox(afterAck.actions)).map((d) => d.index),
      [2],
    );
    assert.deepEqual(drws(camera.inbox(session.receive(camera.drwAck(0, [0]), camera.address, 120).actions)), []);
  });

  test('sendData beyond maxQueued returns undefined and queues nothing', () => {
    const drw: DrwSenderLimits = { retransmitMs: 300, maxTries: 8, maxInFlight: 1, maxQueued: 3 };
    const session = connectedSession(camera, makeConfig({ drw }));
    assert.ok(session.sendData(0, chunk(0), 100)); // in flight
    assert.ok(session.sendData(0, Buffer.alloc(3 * 1024), 100)); // 3 queued
    assert.equal(session.sendData(0, chunk(9), 100), undefined);
    const next = session.receive(camera.drwAck(0, [0]), camera.address, 110);
    assert.deepEqual(
      drws(camera.inbox(next.actions)).map((d) => [d.index, d.data.length]),
      [[1, 1024]],
    );
  });

  test('sendData refuses channels outside 0..3 and non-connected sessions', () => {
    const session: Session = connectedSession(camera);
    assert.equal(session.sendData(4, chunk(0), 1), undefined);
    assert.equal(session.sendData(-1, chunk(0), 1), undefined);
    assert.equal(session.sendData(1.5, chunk(0), 1), undefined);
  });

  test('an ACK for the camera-to-client direction does not disturb our indices', () => {
    const session = connectedSession(camera);
    session.receive(camera.drw(0, 0, chunk(0)), camera.address, 50);
    const actions = session.sendData(0, chunk(1), 60);
    assert.ok(actions);
    assert.deepEqual(
      drws(camera.inbox(actions)).map((d) => d.index),
      [0],
    );
    assert.deepEqual(events(actions), []);
  });
});

describe('DrwSender', () => {
  test('indices wrap from 0xFFFF to 0', () => {
    const sender = new DrwSender({ retransmitMs: 300, maxTries: 8, maxInFlight: 4, maxQueued: 4 });
    const seen: number[] = [];
    for (let i = 0; i < 0x10002; i++) {
      const out = sender.enqueue(Buffer.alloc(1), i);
      if (out === undefined || out.length !== 1) assert.fail(`enqueue ${i} did not send at once`);
      const index = out[0]?.index ?? -1;
      if (i >= 0xfffe) seen.push(index);
      sender.acknowledge([index], i);
    }
    assert.deepEqual(seen, [0xfffe, 0xffff, 0, 1]);
  });

  test('an empty buffer still goes out as one empty DRW', () => {
    const sender = new DrwSender();
    assert.deepEqual(sender.enqueue(Buffer.alloc(0), 0), [{ index: 0, data: Buffer.alloc(0) }]);
  });

  test('exactly 1024 bytes is one DRW, 1025 is two', () => {
    const sender = new DrwSender();
    assert.equal(sender.enqueue(Buffer.alloc(1024), 0)?.length, 1);
    assert.deepEqual(
      sender.enqueue(Buffer.alloc(1025), 0)?.map((d) => d.data.length),
      [1024, 1],
    );
  });

  test('the window is refilled after giving up on a DRW', () => {
    const sender = new DrwSender({ retransmitMs: 100, maxTries: 1, maxInFlight: 1, maxQueued: 4 });
    assert.deepEqual(
      sender.enqueue(Buffer.from('a'), 0)?.map((d) => d.index),
      [0],
    );
    assert.deepEqual(sender.enqueue(Buffer.from('b'), 0), []);
    const { resend, gaveUp } = sender.tick(100);
    assert.deepEqual(gaveUp, [0]);
    assert.deepEqual(resend, [{ index: 1, data: Buffer.from('b') }]);
    assert.equal(sender.pending, 1);
  });
});
