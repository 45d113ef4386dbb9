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
 * A key for an IP address: for a dotted quad (all an `udp4` socket reports) the address as a
 * signed 32-bit integer, which V8 keeps unboxed as a Map key and which needs no string hashed
 * per datagram (issue 12); anything else is its own text. Equal addresses give equal keys,
 * different ones different keys.
 */
export function ipKey(text: string): number | string {
  let ip = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return text;
      ip = (ip << 8) | part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= ZERO && c <= NINE && digits < 3 && !(digits > 0 && part === 0)) {
      part = part * 10 + (c - ZERO);
      digits++;
      if (part > 255) return text;
    } else return text;
  }
  if (dots !== 3 || digits === 0) return text;
  return (ip << 8) | part;
}

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
