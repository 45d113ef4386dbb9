import { type EndpointOptions, DEFAULT_ENDPOINT_OPTIONS } from '../engine/endpoint';
import { KNOWN_PASSPHRASES } from '../wire/cipher';
import { CheckList, checkIPv4, checkIPv4List, checkNumber, checkPort, checkTextList } from './validate';

/** The `vstar-network` properties as a flow file stores them (DESIGN.md §2). */
export interface NetworkProperties {
  readonly bind?: unknown;
  readonly targets?: unknown;
  readonly dhPort?: unknown;
  readonly searchPort?: unknown;
  readonly localDhPort?: unknown;
  readonly localPort?: unknown;
  /** Seconds of silence before a session is lost. */
  readonly timeout?: unknown;
  readonly passphrases?: unknown;
  /**
   * Undocumented, not in the editor: ms between attempts to bind a busy port (default 5000).
   * Tests set it low so a freed port is picked up quickly.
   */
  readonly bindRetryMs?: unknown;
}

export type NetworkOptions = Pick<
  EndpointOptions,
  | 'bind'
  | 'targets'
  | 'dhPort'
  | 'searchPort'
  | 'localDhPort'
  | 'localPort'
  | 'timeoutMs'
  | 'handshakeTimeoutMs'
  | 'passphrases'
  | 'bindRetryMs'
>;

export const MAX_TARGETS = 16;
const MAX_PASSPHRASES = 16;
const MAX_TIMEOUT_S = 3600;

export type ParsedNetwork =
  { readonly ok: true; readonly options: NetworkOptions } | { readonly ok: false; readonly error: string };

/** Validates every property and turns it into endpoint options; all problems are reported at once. */
export function parseNetworkConfig(props: NetworkProperties): ParsedNetwork {
  const d = DEFAULT_ENDPOINT_OPTIONS;
  const check = new CheckList();
  const bind = check.take(checkIPv4('bind', props.bind, d.bind), d.bind);
  const targets = check.take(checkIPv4List('targets', props.targets, d.targets, MAX_TARGETS), []);
  const dhPort = check.take(checkPort('dhPort', props.dhPort, d.dhPort, false), 0);
  const searchPort = check.take(checkPort('searchPort', props.searchPort, d.searchPort, false), 0);
  const localDhPort = check.take(checkPort('localDhPort', props.localDhPort, d.localDhPort, true), 0);
  const localPort = check.take(checkPort('localPort', props.localPort, d.localPort, true), 0);
  const timeoutS = check.take(
    checkNumber('timeout', props.timeout, d.timeoutMs / 1000, { min: 0, exclusiveMin: true, max: MAX_TIMEOUT_S }),
    1,
  );
  const passphrases = check.take(
    checkTextList('passphrases', props.passphrases, KNOWN_PASSPHRASES, MAX_PASSPHRASES),
    [],
  );
  const bindRetryMs = check.take(
    checkNumber('bindRetryMs', props.bindRetryMs, d.bindRetryMs, { min: 10, max: 600_000, integer: true }),
    d.bindRetryMs,
  );
  if (localDhPort !== 0 && localDhPort === localPort) {
    check.errors.push(`localDhPort and localPort must differ (both ${localPort})`);
  }
  if (check.errors.length > 0) return { ok: false, error: check.errors.join('; ') };
  const timeoutMs = Math.round(timeoutS * 1000);
  return {
    ok: true,
    options: {
      bind,
      targets,
      dhPort,
      searchPort,
      localDhPort,
      localPort,
      timeoutMs,
      // A handshake that stays unanswered as long as a session may stay silent has failed.
      handshakeTimeoutMs: Math.min(d.handshakeTimeoutMs, timeoutMs),
      passphrases,
      bindRetryMs,
    },
  };
}
