import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrwSender, MAX_UNACKED_DRWS } from '../../nodes/camera/drw-sender';

const byte = (n: number): Buffer => Buffer.from([n & 0xff]);

test('the sender numbers DRWs from 0 and wraps after 0xFFFF', () => {
  const sender = new DrwSender(300, 5);
  const indices: number[] = [];
  for (let i = 0; i < 0x10002; i++) {
    const { drw } = sender.send(byte(i), 0);
    sender.ack([drw.index]);
    if (i < 2 || i >= 0xffff) indices.push(drw.index);
  }
  assert.deepEqual(indices, [0, 1, 0xffff, 0, 1]);
  assert.equal(sender.unackedCount, 0);
});

test('the sender caps un-ACKed DRWs by giving up the oldest', () => {
  const sender = new DrwSender(300, 5);
  let abandoned = 0;
  for (let i = 0; i < MAX_UNACKED_DRWS + 3; i++) abandoned += sender.send(byte(i), 0).abandoned;
  assert.equal(abandoned, 3);
  assert.equal(sender.unackedCount, MAX_UNACKED_DRWS);
  const due = sender.due(300);
  assert.equal(due.resend[0]?.index, 3);
});

test('the sender retransmits on schedule and gives up after maxTries sends', () => {
  const sender = new DrwSender(100, 2);
  sender.send(byte(1), 0);
  assert.equal(sender.nextDueMs(), 100);
  assert.deepEqual(sender.due(99), { resend: [], abandoned: 0 });
  assert.equal(sender.due(100).resend.length, 1);
  assert.equal(sender.nextDueMs(), 200);
  assert.deepEqual(sender.due(200), { resend: [], abandoned: 1 });
  assert.equal(sender.nextDueMs(), undefined);
});
