// The discovery table is pure: these check its bookkeeping over arbitrary arrival orders.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DiscoveryTable } from '../../nodes/engine/discovery-table';
import { type DhRecord } from '../../nodes/wire/dh';
import { WRITEUP_RECORD } from '../support/vectors';

const UID = WRITEUP_RECORD.uid;

function claimant(address: string, mac: string, httpPort: number): { address: string; record: DhRecord } {
  return { address, record: { ...WRITEUP_RECORD, mac, httpPort } };
}

describe('DiscoveryTable.heardFrom', () => {
  test('whatever order the claimants of one UID are heard in, each address keeps its own latest record', () => {
    const real = [
      claimant('192.168.11.140', '48:02:2A:0B:DB:B4', 11481),
      claimant('192.168.11.140', '48:02:2A:0B:DB:B4', 47250),
    ];
    const impostor = [claimant('192.168.11.66', '66:66:66:66:66:66', 6666)];
    const arrivals = fc.array(fc.constantFrom(...real, ...impostor), { minLength: 1, maxLength: 30 });
    const scanBreaks = fc.array(fc.boolean(), { minLength: 30, maxLength: 30 });
    fc.assert(
      fc.property(arrivals, scanBreaks, (heard, breaks) => {
        const table = new DiscoveryTable(16);
        table.beginScan();
        const latest = new Map<string, DhRecord>();
        heard.forEach(({ address, record }, i) => {
          table.record(record, address, i);
          latest.set(address, record);
          if (breaks[i]) {
            table.endScan(i);
            table.beginScan();
          }
        });
        for (const address of ['192.168.11.140', '192.168.11.66']) {
          const expected = latest.get(address);
          const sighting = table.heardFrom(address, UID);
          assert.equal(sighting?.record, expected, `${address}`);
          if (sighting) assert.equal(sighting.address, address);
        }
        assert.equal(table.heardFrom('192.168.11.140', 'VSTC000001AAAAA'), undefined, 'another UID never matches');
      }),
    );
  });

  test('holds at most its capacity of addresses, forgetting the stalest', () => {
    const table = new DiscoveryTable(4);
    for (let i = 0; i < 10; i++) table.record({ ...WRITEUP_RECORD, uid: `VSTB${100000 + i}AAAAA` }, `10.0.0.${i}`, i);
    const remembered = Array.from({ length: 10 }, (_, i) => table.heardFrom(`10.0.0.${i}`, `VSTB${100000 + i}AAAAA`));
    assert.deepEqual(
      remembered.map((s) => s !== undefined),
      [false, false, false, false, false, false, true, true, true, true],
    );
  });
});
