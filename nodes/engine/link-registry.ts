import { type CameraSpec } from './camera-spec';

/**
 * An endpoint's links by the camera spec that names them. Keyed by the spec's own IP or UID
 * string, one table per kind, rather than by a "kind:value" string made per link: at 10k links
 * those key strings were ~30 B each of an idle session's heap (issue 12).
 */
export class LinkRegistry<L> {
  private readonly byIp = new Map<string, L>();
  private readonly byUid = new Map<string, L>();
  private anyCamera: L | undefined;

  get size(): number {
    return this.byIp.size + this.byUid.size + (this.anyCamera === undefined ? 0 : 1);
  }

  get(spec: CameraSpec): L | undefined {
    switch (spec.kind) {
      case 'ip':
        return this.byIp.get(spec.ip);
      case 'uid':
        return this.byUid.get(spec.uid);
      case 'any':
        return this.anyCamera;
    }
  }

  set(spec: CameraSpec, link: L): void {
    switch (spec.kind) {
      case 'ip':
        this.byIp.set(spec.ip, link);
        return;
      case 'uid':
        this.byUid.set(spec.uid, link);
        return;
      case 'any':
        this.anyCamera = link;
        return;
    }
  }

  delete(spec: CameraSpec): void {
    switch (spec.kind) {
      case 'ip':
        this.byIp.delete(spec.ip);
        return;
      case 'uid':
        this.byUid.delete(spec.uid);
        return;
      case 'any':
        this.anyCamera = undefined;
        return;
    }
  }

  *values(): Generator<L> {
    yield* this.byIp.values();
    yield* this.byUid.values();
    if (this.anyCamera !== undefined) yield this.anyCamera;
  }

  clear(): void {
    this.byIp.clear();
    this.byUid.clear();
    this.anyCamera = undefined;
  }
}
