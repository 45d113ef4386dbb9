import { type Address, ipKey } from '../wire/address';

/** What the index needs of a link: the peer it is connected (or punching) to. */
interface HasPeer {
  readonly peer: Address | undefined;
}

/**
 * Links with a peer, by the peer's address: every datagram is routed through `get`, and a new
 * link named by IP asks `anyAt` whether a session to that IP is up already.
 *
 * One table for both, keyed by the IP (`ipKey`, a small integer for IPv4): a camera has one
 * address, so the value is the link itself, and a per-port table only when several peers share
 * an IP (emulated cameras on one loopback address). Two Maps with a ~48-bit number key each were
 * ~60 B of an idle session's heap at 10k sessions (issue 12).
 */
export class PeerIndex<L extends HasPeer> {
  private readonly byIp = new Map<number | string, L | Map<number, L>>();

  /** The link whose peer is exactly `address`. */
  get(address: Address): L | undefined {
    const held = this.byIp.get(ipKey(address.address));
    if (held instanceof Map) return held.get(address.port);
    return held !== undefined && held.peer?.port === address.port ? held : undefined;
  }

  /** A link whose peer has this IP, whatever its port. */
  anyAt(ip: string): L | undefined {
    const held = this.byIp.get(ipKey(ip));
    if (held instanceof Map) return held.values().next().value;
    return held;
  }

  add(address: Address, link: L): void {
    const key = ipKey(address.address);
    const held = this.byIp.get(key);
    if (held === undefined || held === link) this.byIp.set(key, link);
    else if (held instanceof Map) held.set(address.port, link);
    else {
      const heldPort = held.peer?.port;
      const ports = new Map<number, L>();
      // A link whose peer moved off this IP without being removed first is not kept.
      if (heldPort !== undefined && heldPort !== address.port && held.peer?.address === address.address)
        ports.set(heldPort, held);
      ports.set(address.port, link);
      this.byIp.set(key, ports.size === 1 ? link : ports);
    }
  }

  /** Forgets `link` at `address` (where it was added); another link there stays. */
  remove(address: Address, link: L): void {
    const key = ipKey(address.address);
    const held = this.byIp.get(key);
    if (held === link) this.byIp.delete(key);
    else if (held instanceof Map && held.get(address.port) === link) {
      held.delete(address.port);
      if (held.size === 1) {
        const [only] = held.values();
        if (only !== undefined) this.byIp.set(key, only);
      } else if (held.size === 0) this.byIp.delete(key);
    }
  }

  clear(): void {
    this.byIp.clear();
  }
}
