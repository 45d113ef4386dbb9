import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ipKey } from '../../nodes/wire/address';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));

test('ipKey: a dotted quad gives the address as a signed 32-bit integer', () => {
  assert.equal(ipKey('127.0.0.2'), 0x7f000002);
  assert.equal(ipKey('0.0.0.0'), 0);
  assert.equal(ipKey('255.255.255.255'), -1);
  assert.equal(ipKey('192.168.1.20'), 0xc0a80114 | 0);
});

test('ipKey: equal addresses give equal keys and different ones different keys', () => {
  fc.assert(
    fc.property(ipv4, ipv4, (a, b) => {
      assert.equal(ipKey(a) === ipKey(b), a === b);
    }),
  );
});

test('ipKey: anything that is not a plain dotted quad is its own text', () => {
  for (const address of [
    '::1',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1..2.3',
    '01.2.3.4',
    '1.2.3.4 ',
    '',
    'a.b.c.d',
    '-1',
  ]) {
    assert.equal(ipKey(address), address, address);
  }
});
