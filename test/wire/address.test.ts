import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addressKey, routeKey } from '../../nodes/wire/address';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
const port = fc.nat(0xffff);

test('routeKey: an IPv4 address and port give ip * 65536 + port', () => {
  assert.equal(routeKey({ address: '127.0.0.2', port: 32108 }), 0x7f000002 * 65536 + 32108);
  assert.equal(routeKey({ address: '0.0.0.0', port: 0 }), 0);
  assert.equal(routeKey({ address: '255.255.255.255', port: 65535 }), 2 ** 48 - 1);
});

test('routeKey: equal addresses give equal keys and different ones different keys', () => {
  fc.assert(
    fc.property(ipv4, port, ipv4, port, (a, p, b, q) => {
      const same = a === b && p === q;
      assert.equal(routeKey({ address: a, port: p }) === routeKey({ address: b, port: q }), same);
    }),
  );
});

test('routeKey: anything that is not a plain dotted quad falls back to the address:port string', () => {
  for (const address of ['::1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '01.2.3.4', '1.2.3.4 ', '', 'a.b.c.d']) {
    assert.equal(routeKey({ address, port: 1 }), addressKey({ address, port: 1 }), address);
  }
  assert.equal(routeKey({ address: '1.2.3.4', port: 70000 }), '1.2.3.4:70000');
  assert.equal(routeKey({ address: '1.2.3.4', port: 1.5 }), '1.2.3.4:1.5');
});
