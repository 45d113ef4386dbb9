import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Address } from '../../nodes/wire/address';
import { PeerIndex } from '../../nodes/engine/peer-index';

class FakeLink {
  peer: Address | undefined;
  constructor(readonly name: string) {}
}

describe('PeerIndex (links by their peer address)', () => {
  test('one link per IP: found by its exact address, not by another port', () => {
    const index = new PeerIndex<FakeLink>();
    const link = new FakeLink('a');
    link.peer = { address: '10.0.0.5', port: 40000 };
    index.add(link.peer, link);
    assert.equal(index.get({ address: '10.0.0.5', port: 40000 }), link);
    assert.equal(index.get({ address: '10.0.0.5', port: 40001 }), undefined);
    assert.equal(index.get({ address: '10.0.0.6', port: 40000 }), undefined);
    assert.equal(index.anyAt('10.0.0.5'), link);
    index.remove(link.peer, link);
    assert.equal(index.get({ address: '10.0.0.5', port: 40000 }), undefined);
    assert.equal(index.anyAt('10.0.0.5'), undefined);
  });

  test('property: any sequence of peers coming and going routes exactly like a map of address to link', () => {
    const addresses = ['127.0.0.1', '127.0.0.2', '192.168.1.20', '255.255.255.255', '::1'];
    const op = fc.record({
      link: fc.nat(5),
      address: fc.constantFrom(...addresses),
      port: fc.constantFrom(32108, 40000, 40001),
      remove: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const index = new PeerIndex<FakeLink>();
        const links = Array.from({ length: 6 }, (_, i) => new FakeLink(String(i)));
        // The model: at most one link per exact address (the last added), as the endpoint's Map had.
        const model = new Map<string, FakeLink>();
        const keyOf = (a: Address): string => `${a.address}|${a.port}`;
        for (const { link: n, address, port, remove } of ops) {
          const link = links[n];
          if (!link) continue;
          // As the endpoint does: a link moves by being removed from its old peer, then added at its new one.
          if (link.peer) {
            index.remove(link.peer, link);
            if (model.get(keyOf(link.peer)) === link) model.delete(keyOf(link.peer));
          }
          link.peer = remove ? undefined : { address, port };
          if (link.peer) {
            // A link that held this exact address before is displaced (its own peer says otherwise from now on).
            const displaced = model.get(keyOf(link.peer));
            if (displaced && displaced !== link) displaced.peer = undefined;
            index.add(link.peer, link);
            model.set(keyOf(link.peer), link);
          }
          for (const a of addresses)
            for (const p of [32108, 40000, 40001]) {
              const where = { address: a, port: p };
              assert.equal(index.get(where)?.name, model.get(keyOf(where))?.name, `${a}:${p}`);
            }
          for (const a of addresses) {
            const any = index.anyAt(a);
            const expected = [...model.entries()].filter(([k]) => k.startsWith(`${a}|`)).map(([, l]) => l);
            if (expected.length === 0) assert.equal(any, undefined, a);
            else assert.ok(any && expected.includes(any), `anyAt ${a}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
