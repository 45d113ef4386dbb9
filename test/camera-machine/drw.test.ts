import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRW_RECEIVE_WINDOW, DrwReceiver } from '../../nodes/camera/drw-receiver';
import { DrwSender, MAX_UNACKED_DRWS } from '../../nodes/camera/drw-sender';

const byte = (n: number): Buffer => Buffer.from([n & 0xff]);

test('the receiver delivers in order across the 0xFFFF wrap', () => {
  const receiver = new DrwReceiver();
  let delivered = 0;
  for (let i = 0; i <= 0x10001; i++) {
    const receipt = receiver.accept(i & 0xffff, byte(i));
    assert.equal(receipt.ack, true);
    assert.equal(receipt.deliver.length, 1);
    delivered++;
  }
  assert.equal(delivered, 0x10002);
});

test('the receiver holds early DRWs, drops duplicates, and does not ACK beyond its window', () => {
  const receiver = new DrwReceiver();
  assert.deepEqual(receiver.accept(2, byte(2)), { ack: true, deliver: [] });
  assert.deepEqual(receiver.accept(2, byte(2)), { ack: true, deliver: [] });
  assert.equal(receiver.heldCount, 1);
  assert.deepEqual(receiver.accept(DRW_RECEIVE_WINDOW, byte(9)), { ack: false, deliver: [] });
  assert.deepEqual(receiver.accept(0, byte(0)).deliver, [byte(0)]);
  assert.deepEqual(receiver.accept(1, byte(1)).deliver, [byte(1), byte(2)]);
  assert.deepEqual(receiver.accept(0, byte(0)), { ack: true, deliver: [] });
  assert.equal(receiver.heldCount, 0);
});

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
