import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';

export interface InterfaceBroadcast {
  readonly name: string;
  readonly address: string;
  readonly netmask: string;
  readonly broadcast: string;
  readonly internal: boolean;
}

/** The directed broadcast address of an IPv4 network: the host bits all set. */
export function broadcastAddress(address: string, netmask: string): string | undefined {
  const ip = toInt(address);
  const mask = toInt(netmask);
  if (ip === undefined || mask === undefined) return undefined;
  return fromInt((ip | ~mask) >>> 0);
}

/**
 * Every local IPv4 interface with its broadcast address, for the network editor to offer:
 * on hosts with several interfaces (or Docker bridges) 255.255.255.255 may leave by the wrong one.
 */
export function localBroadcasts(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): InterfaceBroadcast[] {
  const found: InterfaceBroadcast[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4') continue;
      const broadcast = broadcastAddress(info.address, info.netmask);
      if (!broadcast) continue;
      found.push({ name, address: info.address, netmask: info.netmask, broadcast, internal: info.internal });
    }
  }
  return found;
}

function toInt(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split('.').reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}

function fromInt(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}
