import { type DhRecord } from '../wire/dh';

/**
 * Every camera a DH scan has heard of, keyed by UID, with the address its reply came from.
 * Pure: time is passed in. Holds at most `capacity` cameras; the one heard from longest ago is
 * evicted to make room, so a flood of forged UIDs cannot grow it without bound.
 */
export interface CameraSighting {
  readonly record: DhRecord;
  /** Source IP of the reply: the address a session to this camera is pinned to. */
  readonly address: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

export type CameraChange = 'ip' | 'httpPort' | 'name';

export type SightingOutcome =
  | { readonly kind: 'discovered'; readonly sighting: CameraSighting }
  | {
      readonly kind: 'changed';
      readonly sighting: CameraSighting;
      readonly previous: CameraSighting;
      readonly changes: readonly CameraChange[];
    }
  /** One UID answered from two or more addresses in one scan; the table keeps the incumbent. */
  | { readonly kind: 'conflict'; readonly sighting: CameraSighting; readonly claimants: readonly string[] }
  | { readonly kind: 'unchanged'; readonly sighting: CameraSighting };

export const DEFAULT_DISCOVERY_CAPACITY = 1024;
/** Addresses remembered per UID within one scan; more claimants than this are not listed. */
const MAX_CLAIMANTS = 4;

/**
 * A camera that moves answers from one new address; a spoofer answers beside the real camera.
 * So a new address is only believed once the scan is over and nobody else claimed the UID:
 * address changes and conflicts are settled in `endScan`, everything else at once.
 */
export class DiscoveryTable {
  private readonly cameras = new Map<string, CameraSighting>();
  private readonly claimants = new Map<string, { addresses: string[]; latest: Map<string, DhRecord> }>();
  /**
   * The latest reply heard from each address, whoever the table believes for its UID: a session
   * pinned to an address describes the camera at that address, never another claimant of its
   * UID. Holds at most `capacity` addresses, the stalest evicted first.
   */
  private readonly latestByAddress = new Map<string, CameraSighting>();
  evictions = 0;

  constructor(readonly capacity = DEFAULT_DISCOVERY_CAPACITY) {}

  /** Forgets the previous scan's claimants. */
  beginScan(): void {
    this.claimants.clear();
  }

  record(record: DhRecord, address: string, nowMs: number): SightingOutcome | undefined {
    this.noteClaimant(record, address);
    this.noteAddress(record, address, nowMs);
    const previous = this.cameras.get(record.uid);
    if (!previous) {
      const sighting = { record, address, firstSeenMs: nowMs, lastSeenMs: nowMs };
      this.insert(record.uid, sighting);
      return { kind: 'discovered', sighting };
    }
    if (previous.address !== address) return undefined;
    const sighting = { record, address, firstSeenMs: previous.firstSeenMs, lastSeenMs: nowMs };
    this.insert(record.uid, sighting);
    const changes = compare(previous, sighting);
    return changes.length > 0 ? { kind: 'changed', sighting, previous, changes } : { kind: 'unchanged', sighting };
  }

  /** Settles what the scan heard from new addresses: moves (`changed`) and `conflict`s. */
  endScan(nowMs: number): SightingOutcome[] {
    const outcomes: SightingOutcome[] = [];
    for (const [uid, { addresses, latest }] of this.claimants) {
      const incumbent = this.cameras.get(uid);
      if (!incumbent) continue;
      if (addresses.length > 1) {
        outcomes.push({ kind: 'conflict', sighting: incumbent, claimants: [...addresses] });
        continue;
      }
      const [only] = addresses;
      const record = only === undefined ? undefined : latest.get(only);
      if (only === undefined || record === undefined || only === incumbent.address) continue;
      const sighting = { record, address: only, firstSeenMs: incumbent.firstSeenMs, lastSeenMs: nowMs };
      this.insert(uid, sighting);
      outcomes.push({ kind: 'changed', sighting, previous: incumbent, changes: compare(incumbent, sighting) });
    }
    this.claimants.clear();
    return outcomes;
  }

  get(uid: string): CameraSighting | undefined {
    return this.cameras.get(uid);
  }

  /** What the camera `uid` at `address` said last, if a reply from there named that UID. */
  heardFrom(address: string, uid: string): CameraSighting | undefined {
    const sighting = this.latestByAddress.get(address);
    return sighting?.record.uid === uid ? sighting : undefined;
  }

  findByAddress(ip: string): CameraSighting | undefined {
    for (const sighting of this.cameras.values())
      if (sighting.address === ip || sighting.record.ip === ip) return sighting;
    return undefined;
  }

  list(): CameraSighting[] {
    return [...this.cameras.values()];
  }

  get size(): number {
    return this.cameras.size;
  }

  private noteClaimant(record: DhRecord, address: string): void {
    let entry = this.claimants.get(record.uid);
    if (!entry) {
      if (this.claimants.size >= this.capacity) return;
      entry = { addresses: [], latest: new Map() };
      this.claimants.set(record.uid, entry);
    }
    if (!entry.addresses.includes(address)) {
      if (entry.addresses.length >= MAX_CLAIMANTS) return;
      entry.addresses.push(address);
    }
    entry.latest.set(address, record);
  }

  private noteAddress(record: DhRecord, address: string, nowMs: number): void {
    const previous = this.latestByAddress.get(address);
    const firstSeenMs = previous?.record.uid === record.uid ? previous.firstSeenMs : nowMs;
    this.latestByAddress.delete(address);
    this.latestByAddress.set(address, { record, address, firstSeenMs, lastSeenMs: nowMs });
    if (this.latestByAddress.size > this.capacity) {
      const stalest = this.latestByAddress.keys().next();
      if (!stalest.done) this.latestByAddress.delete(stalest.value);
    }
  }

  private insert(uid: string, sighting: CameraSighting): void {
    // Re-inserting moves the UID to the end of the Map's order, so the first key is the stalest.
    this.cameras.delete(uid);
    this.cameras.set(uid, sighting);
    while (this.cameras.size > this.capacity) {
      const stalest = this.cameras.keys().next();
      if (stalest.done) break;
      this.cameras.delete(stalest.value);
      this.evictions++;
    }
  }
}

function compare(previous: CameraSighting, next: CameraSighting): CameraChange[] {
  const changes: CameraChange[] = [];
  if (previous.address !== next.address || previous.record.ip !== next.record.ip) changes.push('ip');
  if (previous.record.httpPort !== next.record.httpPort) changes.push('httpPort');
  if (previous.record.name !== next.record.name) changes.push('name');
  return changes;
}
