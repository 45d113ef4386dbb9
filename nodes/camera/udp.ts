import dgram from 'node:dgram';
import { closeUdp } from '../engine/udp';

export { closeUdp };

/**
 * Binds a UDP socket and resolves once it listens. The error listener is attached before bind
 * so EADDRINUSE rejects instead of crashing; after bind, later socket errors go to `onError`.
 */
export function bindUdp(
  address: string,
  port: number,
  reuseAddr: boolean,
  onError: (err: Error) => void,
): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr });
    const fail = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind(port, address, () => {
      socket.off('error', fail);
      socket.on('error', onError);
      resolve(socket);
    });
  });
}

/**
 * A free port for a SO_REUSEADDR socket. Linux lets bind(0) on a reuse socket pick a port that
 * another reuse socket already holds (e.g. another emulator in a parallel test), which would
 * cross their traffic; a throw-away socket without reuse only gets a port nobody holds.
 */
export async function reserveFreePort(address: string): Promise<number> {
  const probe = await bindUdp(address, 0, false, () => undefined);
  const { port } = probe.address();
  await closeUdp(probe);
  return port;
}
