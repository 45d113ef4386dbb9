import { type CommandAnswer, runCalls } from './command-runner';
import { checkJpeg } from '../video/jpeg';
import { type CgiCredentials } from '../wire/cgi';
import { type CameraLink } from './camera-link';

/** A snapshot answer that is no whole JPEG; failures of the request itself are `CommandError`s. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

/** `res` of `snapshot.cgi` (PROTOCOL.md §7.2); some firmware ignores it. */
export type SnapshotResolution = 0 | 1 | 2;

/**
 * Takes one snapshot over the camera's session (`snapshot.cgi`, answered with a JPEG on channel
 * 0) and resolves with the JPEG's bytes. Credentials, timeouts and a link that is not connected
 * fail the way commands do (`CommandError` from the runner); an answer that is not a whole JPEG
 * is a `SnapshotError`, never a broken image.
 */
export async function takeSnapshot(
  link: CameraLink,
  credentials: CgiCredentials,
  resolution: SnapshotResolution,
  timeoutMs: number,
): Promise<Buffer> {
  const answer: CommandAnswer = await runCalls(link, [{ cgi: 'snapshot', params: { res: String(resolution) } }], {
    credentials,
    timeoutMs,
    camera: link.description,
    binary: true,
  });
  const checked = checkJpeg(answer.body);
  if (!checked.ok)
    throw new SnapshotError(`camera ${link.description} sent a broken snapshot: ${checked.error.message}`);
  return checked.value;
}
