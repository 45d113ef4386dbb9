import { MAX_TARGETS } from './network-config';
import { CheckList, checkIPv4, checkIPv4List, checkNumber, checkPort, isBlank } from './validate';

/** What the editor's Scan button may ask for (`GET vstar-p2p/scan?...`). */
export interface ScanQuery {
  /** The `vstar-network` config node the dialog uses, deployed or not. */
  readonly network: string | undefined;
  /** The config node's properties as the dialog has them; absent ones fall back to the defaults. */
  readonly targets: string[] | undefined;
  readonly dhPort: number | undefined;
  readonly bind: string | undefined;
  readonly windowMs: number;
}

export const DEFAULT_SCAN_WINDOW_MS = 1500;
const ALLOWED = new Set(['network', 'targets', 'dhPort', 'bind', 'window', '_']);
const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export type ParsedQuery =
  { readonly ok: true; readonly query: ScanQuery } | { readonly ok: false; readonly error: string };

/**
 * Strict: only the known parameters, each a single string (no arrays or objects that a query
 * parser may build), IPv4 addresses only, ports in range, a bounded window.
 */
export function parseScanQuery(raw: unknown): ParsedQuery {
  if (typeof raw !== 'object' || raw === null) return { ok: false, error: 'missing query' };
  const entries = Object.entries(raw);
  const check = new CheckList();
  for (const [key, value] of entries) {
    if (!ALLOWED.has(key)) check.errors.push(`unknown parameter ${JSON.stringify(key)}`);
    else if (typeof value !== 'string') check.errors.push(`parameter ${key} must be given once, as text`);
  }
  if (check.errors.length > 0) return { ok: false, error: check.errors.join('; ') };
  const params = new Map(entries.filter((e): e is [string, string] => typeof e[1] === 'string'));
  const networkText = params.get('network');
  let network: string | undefined;
  if (!isBlank(networkText) && networkText !== undefined) {
    if (NODE_ID.test(networkText)) network = networkText;
    else check.errors.push('network must be a node id');
  }
  const targetsText = params.get('targets');
  const targets = isBlank(targetsText)
    ? undefined
    : check.take(checkIPv4List('targets', targetsText, [], MAX_TARGETS), undefined);
  const dhPortText = params.get('dhPort');
  const dhPort = isBlank(dhPortText) ? undefined : check.take(checkPort('dhPort', dhPortText, 0, false), undefined);
  const bindText = params.get('bind');
  const bind = isBlank(bindText) ? undefined : check.take(checkIPv4('bind', bindText, ''), undefined);
  const windowMs = check.take(
    checkNumber('window', params.get('window'), DEFAULT_SCAN_WINDOW_MS, { min: 200, max: 5000, integer: true }),
    DEFAULT_SCAN_WINDOW_MS,
  );
  if (check.errors.length > 0) return { ok: false, error: check.errors.join('; ') };
  return { ok: true, query: { network, targets, dhPort, bind, windowMs } };
}
