/** Where a datagram comes from or goes to. */
export interface Address {
  readonly address: string;
  readonly port: number;
}

export function addressKey(a: Address): string {
  return `${a.address}:${a.port}`;
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.address === b.address && a.port === b.port;
}

/**
 * A routing key for an address: for IPv4 (all an `udp4` socket reports) the number
 * ip × 65536 + port, which needs no string built and hashed per datagram (issue 12: the
 * `address:port` string was a share of the engine's cost at 10k ALIVEs a second); anything
 * else falls back to `addressKey`. Equal addresses give equal keys, different ones different keys.
 */
export function routeKey(a: Address): number | string {
  const text = a.address;
  const port = a.port;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) return addressKey(a);
  let ip = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return addressKey(a);
      ip = ip * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= ZERO && c <= NINE && digits < 3 && !(digits > 0 && part === 0)) {
      part = part * 10 + (c - ZERO);
      digits++;
      if (part > 255) return addressKey(a);
    } else return addressKey(a);
  }
  if (dots !== 3 || digits === 0) return addressKey(a);
  return (ip * 256 + part) * 65536 + port;
}

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
