import dgram from 'node:dgram';

export interface BindOptions {
  readonly address: string;
  readonly port: number;
  readonly broadcast: boolean;
  readonly reuseAddr?: boolean;
  /** SO_RCVBUF in bytes; a burst of replies larger than the buffer is dropped by the kernel. */
  readonly receiveBufferBytes?: number;
}

/**
 * Binds an IPv4 UDP socket. The `error` listener is attached before `bind`, so a failed bind
 * (EADDRINUSE, EACCES) rejects the promise instead of crashing the process; errors after the
 * bind go to `onError`.
 */
export function bindUdp(
  options: BindOptions,
  onMessage: (data: Buffer, from: dgram.RemoteInfo) => void,
  onError: (error: Error) => void,
): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: options.reuseAddr ?? false });
    let bound = false;
    socket.on('error', (error) => {
      if (bound) {
        onError(error);
        return;
      }
      socket.close();
      reject(error);
    });
    socket.on('message', onMessage);
    socket.bind({ address: options.address, port: options.port, exclusive: true }, () => {
      bound = true;
      try {
        if (options.broadcast) socket.setBroadcast(true);
        if (options.receiveBufferBytes !== undefined) socket.setRecvBufferSize(options.receiveBufferBytes);
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)));
      }
      resolve(socket);
    });
  });
}

/** Closes a socket and resolves once it emitted `close`; closing a closed socket resolves at once. */
export function closeUdp(socket: { close(callback: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
