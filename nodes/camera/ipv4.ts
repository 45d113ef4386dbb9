/** IPv4 addresses as unsigned 32-bit numbers, for counting camera addresses up across octets. */

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const match = DOTTED_QUAD.exec(text.trim());
  if (!match) return undefined;
  let value = 0;
  for (const part of match.slice(1)) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/** 127.0.0.0/8: the only range tests and the default emulator may send to. */
export function isLoopbackIpv4(text: string): boolean {
  const value = parseIpv4(text);
  return value !== undefined && value >>> 24 === 127;
}

/** `count` consecutive addresses from `first`; undefined if they would run past 255.255.255.255. */
export function addressRange(first: string, count: number): string[] | undefined {
  const start = parseIpv4(first);
  if (start === undefined || start + count - 1 > 0xffffffff) return undefined;
  return Array.from({ length: count }, (_, i) => formatIpv4(start + i));
}
