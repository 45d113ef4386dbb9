import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { DH_PROBE, parseDhReply } from '../../nodes/wire/dh';
import { encodePppp } from '../../nodes/wire/pppp';
import { UdpClient, udpHandleCount } from './udp-client';

const CAMERAS = 1000;

/** The soft open-files limit, where Linux tells it; 1000 cameras need 3000+ descriptors. */
function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line?.[1] === 'unlimited' ? Infinity : Number(line?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const limit = openFileLimit();

test(
  `${CAMERAS} cameras start, answer, and close cleanly`,
  { skip: limit < CAMERAS * 3 + 200 ? `open-files limit ${limit} is too low` : false },
  async () => {
    const baseline = udpHandleCount();
    const emulator = await CameraEmulator.start({ cameras: CAMERAS, dhPort: 0, searchPort: 0 });
    const client = await UdpClient.open();
    try {
      const last = emulator.cameras[CAMERAS - 1];
      assert.equal(last?.ip, '127.0.3.233');
      assert.equal(new Set(emulator.cameras.map((c) => c.uid)).size, CAMERAS);
      // Ports may repeat across addresses (127.0.0.2:5000 and 127.0.0.3:5000 do not clash); endpoints may not.
      assert.equal(new Set(emulator.cameras.map((c) => `${c.ip}:${c.sessionPort}`)).size, CAMERAS);

      client.send(DH_PROBE, { address: '127.0.3.233', port: emulator.dhPort });
      const [reply] = await client.take(1);
      const parsed = parseDhReply(reply?.data ?? Buffer.alloc(0));
      assert.ok(parsed.ok);
      assert.equal(parsed.value.uid, last?.uid);

      // The wildcard socket hands a broadcast to every camera in one go, so by the time the first
      // PUNCH reaches the client every camera has counted the search.
      client.send(encodePppp({ kind: 'lan-search' }), { address: '127.255.255.255', port: emulator.searchPort });
      await client.take(1, (r) => r.data[1] === 0x41);
      assert.equal(
        emulator.cameras.reduce((sum, c) => sum + c.stats.searchesAnswered, 0),
        CAMERAS,
      );
    } finally {
      await client.close();
      await emulator.close();
    }
    assert.equal(udpHandleCount(), baseline);
  },
);
