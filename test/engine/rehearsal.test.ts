import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Endpoint, type EndpointOptions } from '../../nodes/engine/endpoint';
import { rehearseHandshake } from '../../nodes/engine/rehearsal';

// The first endpoint of a process rehearses a discovery and a handshake on an endpoint of its
// own whose sockets send nothing (nodes/engine/rehearsal.ts, issue 14). Each test file runs in its
// own process, so the first endpoint made here is the one that rehearses. Every datagram in this
// file would go to 127.0.0.1, to a socket that counts what arrives.

async function listener(): Promise<{ socket: dgram.Socket; port: number; heard: () => number }> {
  const socket = dgram.createSocket('udp4');
  let heard = 0;
  socket.on('message', () => heard++);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port, heard: () => heard };
}

test('the first endpoint of a process rehearses without a trace: no datagram, no event, no camera, no session', async () => {
  const watch = await listener();
  const options: Partial<EndpointOptions> = {
    bind: '127.0.0.1',
    targets: ['127.0.0.1'],
    dhPort: watch.port,
    searchPort: watch.port,
  };
  const endpoint = new Endpoint(options);
  const events: string[] = [];
  for (const name of ['discovered', 'changed', 'conflict', 'scan-complete', 'warning'] as const)
    endpoint.on(name, () => events.push(name));
  await endpoint.ready();
  // A marker sent now arrives after anything the rehearsal could have sent (loopback keeps the
  // order): once it is heard, the count says what came before it.
  const marker = dgram.createSocket('udp4');
  const markerHeard = once(watch.socket, 'message');
  marker.send(Buffer.from('marker'), watch.port, '127.0.0.1');
  await markerHeard;
  marker.close();
  assert.equal(endpoint.state, 'ready');
  assert.deepEqual(endpoint.cameras(), []);
  assert.equal(endpoint.sessionCount, 0);
  assert.deepEqual(endpoint.stats, {
    dhIn: 0,
    dhBad: 0,
    ppppIn: 0,
    ppppUnclaimed: 0,
    foreignClaims: 0,
    sent: 0,
    sendErrors: 0,
    scans: 0,
  });
  assert.deepEqual(events, []);
  assert.equal(watch.heard(), 1, 'nothing the rehearsal did reached a socket: only the marker');
  await endpoint.close();
  watch.socket.close();
});

test('a rehearsal goes all the way to connected, through the endpoint it is given', async () => {
  const made: Endpoint[] = [];
  const connected = rehearseHandshake((lent) => {
    const endpoint = new Endpoint({ bind: '127.0.0.1', targets: ['127.0.0.1'] }, lent);
    made.push(endpoint);
    return endpoint;
  });
  assert.equal(connected, true);
  assert.equal(made.length, 1);
  const [endpoint] = made;
  assert.ok(endpoint);
  await sleep(0);
  assert.equal(endpoint.state, 'closed', 'the rehearsal closes its endpoint');
  assert.equal(endpoint.sessionCount, 0);
});
