import { type ClipFrame, loadClipFrames, loadSnapshot } from './clip';

/**
 * The clip and the snapshot, read from disk once per process on first use and shared by every
 * emulated camera: a thousand cameras must not hold a thousand copies of the same 160 KiB.
 * Read lazily, so a camera nobody asks for video never touches the files.
 */
let clipFrames: readonly ClipFrame[] | undefined;
let snapshotJpeg: Buffer | undefined;

export function sharedClipFrames(): readonly ClipFrame[] {
  return (clipFrames ??= loadClipFrames());
}

export function sharedSnapshot(): Buffer {
  return (snapshotJpeg ??= loadSnapshot());
}
