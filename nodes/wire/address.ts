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
