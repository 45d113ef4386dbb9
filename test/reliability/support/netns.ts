// A small LAN built from network namespaces: one bridge namespace and one namespace per host,
// each host joined to the bridge by a veth pair created inside the namespaces (never in the test
// process's own). Every address lives only inside these namespaces.
import { execFileSync } from 'node:child_process';

/** Namespaces are named `vsr<pid>x<tag>-<host>`, so leftovers of a killed run can be recognised. */
const PREFIX = 'vsr';

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

/** Why namespaces cannot be made here, or undefined when they can (checked by making one). */
export function namespaceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root';
  try {
    ip(['-V']);
  } catch {
    return 'the `ip` command (iproute2) is not installed';
  }
  const probe = `${PREFIX}${process.pid}xprobe`;
  try {
    ip(['netns', 'add', probe]);
  } catch (error) {
    return `ip netns add failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  try {
    ip(['netns', 'del', probe]);
  } catch {
    // Deleted by the sweep of a later run.
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces left by runs whose process is gone (a test killed before its `finally`). */
export function sweepStaleNamespaces(): string[] {
  const swept: string[] = [];
  let list = '';
  try {
    list = ip(['netns', 'list']);
  } catch {
    return swept;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${PREFIX}(\\d+)x`).exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    try {
      ip(['netns', 'del', name]);
      swept.push(name);
    } catch {
      // Someone else swept it first.
    }
  }
  return swept;
}

export interface LanHost {
  readonly name: string;
  /** Namespace name, for `ip netns exec`. */
  readonly ns: string;
  readonly address: string;
  /** The host's interface inside its namespace. */
  readonly iface: string;
}

/**
 * `hosts` get addresses `subnet.1`, `subnet.2`, ... /24 on `eth0`, plus a route for the limited
 * broadcast address 255.255.255.255 (which Linux otherwise refuses to send without a default
 * route). `destroy` is idempotent and never throws.
 */
export class NamespaceLan {
  readonly hosts: LanHost[] = [];
  private readonly created: string[] = [];
  readonly bridgeNs: string;

  constructor(
    hostNames: readonly string[],
    readonly subnet = '10.213.0',
  ) {
    const tag = Math.floor(Math.random() * 0xffffff).toString(36);
    const base = `${PREFIX}${process.pid}x${tag}`;
    this.bridgeNs = `${base}-br`;
    try {
      this.addNs(this.bridgeNs);
      ip(['-n', this.bridgeNs, 'link', 'set', 'lo', 'up']);
      ip(['-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
      hostNames.forEach((name, i) => {
        const ns = `${base}-${name}`;
        const address = `${subnet}.${i + 1}`;
        this.addNs(ns);
        const port = `p${i}`;
        // Both ends are created inside the bridge namespace; one is moved straight into the host's.
        ip(['-n', this.bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
        ip(['-n', this.bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
        ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
        ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
        this.hosts.push({ name, ns, address, iface: 'eth0' });
        this.routeBroadcast(ns);
      });
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  host(name: string): LanHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host ${name}`);
    return host;
  }

  /** Runs `ip` inside a host's namespace, e.g. `link set eth0 down`. */
  ipIn(host: LanHost, args: readonly string[]): string {
    return ip(['-n', host.ns, ...args]);
  }

  linkDown(host: LanHost): void {
    // The way the issue asks for it: the command runs inside the camera's namespace.
    execFileSync('ip', ['netns', 'exec', host.ns, 'ip', 'link', 'set', host.iface, 'down'], { timeout: 10_000 });
  }

  linkUp(host: LanHost): void {
    execFileSync('ip', ['netns', 'exec', host.ns, 'ip', 'link', 'set', host.iface, 'up'], { timeout: 10_000 });
    // Routes through a device go when it goes down; the kernel restores the subnet route, not ours.
    this.routeBroadcast(host.ns);
  }

  /** Prefix for a command run inside a host's namespace. */
  execPrefix(host: LanHost): string[] {
    return ['netns', 'exec', host.ns];
  }

  destroy(): void {
    for (const ns of this.created.splice(0).reverse()) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        // Already gone.
      }
    }
  }

  private addNs(ns: string): void {
    ip(['netns', 'add', ns]);
    this.created.push(ns);
  }

  private routeBroadcast(ns: string): void {
    ip(['-n', ns, 'route', 'replace', '255.255.255.255/32', 'dev', 'eth0']);
  }
}
