import { type CameraConfig } from './config';

/** Three sockets per camera; beyond this the host would need more file descriptors than most systems allow. */
export const MAX_CAMERAS = 10_000;

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const CHECK_SPACE = 26 ** 5;
/** Odd and not a multiple of 13, hence coprime to 26^5: distinct indices get distinct check codes. */
const CHECK_STRIDE = 7919;

/**
 * The identity of emulated camera `index` (0-based) when the caller gives none: a VSTB UID
 * (a plaintext-era prefix, matching the default unencrypted camera), a VStarCam-range MAC and a
 * name a person can tell apart. Deterministic, so runs are repeatable.
 */
export function defaultIdentity(index: number): Pick<CameraConfig, 'uid' | 'mac' | 'name'> {
  const serial = String(100000 + (index % 900000));
  let code = (index * CHECK_STRIDE + 12345) % CHECK_SPACE;
  let check = '';
  for (let i = 0; i < 5; i++) {
    check = (LETTERS[code % 26] ?? 'A') + check;
    code = Math.floor(code / 26);
  }
  const n = (index + 1) & 0xffffff;
  const mac = [
    '48',
    '02',
    '2A',
    ...[16, 8, 0].map((s) => ((n >>> s) & 0xff).toString(16).padStart(2, '0').toUpperCase()),
  ];
  return { uid: `VSTB${serial}${check}`, mac: mac.join(':'), name: `Emulated camera ${index + 1}` };
}

/** A web-server port like the ones real cameras pick at boot (PROTOCOL.md §1), different from `avoid`. */
export function randomHttpPort(random: () => number, avoid?: number): number {
  for (let attempt = 0; ; attempt++) {
    const port = 10000 + Math.floor(random() * 50001);
    const clamped = Math.min(60000, Math.max(10000, port));
    // A broken random source must not hang the host: after a few tries, step off `avoid` instead.
    if (clamped !== avoid) return clamped;
    if (attempt >= 8) return clamped === 60000 ? 10000 : clamped + 1;
  }
}
