import { type CipherKey, decrypt, detectCipher, encrypt } from '../wire/cipher';

/**
 * How a session speaks: in clear, with one passphrase, or "auto" — search in clear and with
 * every candidate passphrase, then keep whatever the camera answered in.
 */
export type EncryptionMode =
  | { readonly mode: 'plain' }
  | { readonly mode: 'key'; readonly key: CipherKey }
  | { readonly mode: 'auto'; readonly candidates: readonly CipherKey[] };

/** null = plaintext learned; a key = that passphrase learned; undefined = not learned yet. */
export type LearnedCipher = CipherKey | null | undefined;

export function initialCipher(mode: EncryptionMode): LearnedCipher {
  if (mode.mode === 'plain') return null;
  if (mode.mode === 'key') return mode.key;
  return undefined;
}

/** Every encoding a LAN_SEARCH must be sent in before the camera's cipher is known. */
export function searchCiphers(mode: EncryptionMode): (CipherKey | null)[] {
  if (mode.mode === 'plain') return [null];
  if (mode.mode === 'key') return [mode.key];
  return [null, ...mode.candidates];
}

/**
 * The form a camera most likely speaks, from its UID prefix (PROTOCOL.md §6): null for the
 * plaintext families, a passphrase for the encrypted ones, undefined when the prefix says
 * nothing. A hint only: a session that searches in this form alone falls back to every form.
 */
export function formHint(uid: string): string | null | undefined {
  const prefix = uid.slice(0, 4).toUpperCase();
  return PREFIX_FORMS.get(prefix);
}

const PREFIX_FORMS: ReadonlyMap<string, string | null> = new Map<string, string | null>([
  ['VSTB', null],
  ['VSTC', null],
  ['VSTG', 'vstarcam2018'],
  ['VSTH', 'vstarcam2018'],
  ...['VSTJ', 'VSTK', 'VSTL', 'VSTM', 'VSTN', 'VSTP'].map((p): [string, string] => [p, 'vstarcam2019']),
  ...['VSGG', 'VSGM', 'VSGS'].map((p): [string, string] => [p, 'vstarcam2021']),
]);

/**
 * The LAN_SEARCH datagram in one form, built once per key and shared: the same four bytes go out
 * on every search of every session (a WeakMap, so a key nobody holds any more takes its copy along).
 */
export function sealedLanSearch(cipher: CipherKey | null): Buffer {
  return sealedOnce(sealedSearches, PLAIN_LAN_SEARCH, cipher);
}

/** The ALIVE_ACK in one form, shared likewise: at 10k sessions one goes out per camera per second (issue 12). */
export function sealedAliveAck(cipher: CipherKey | null): Buffer {
  return sealedOnce(sealedAliveAcks, PLAIN_ALIVE_ACK, cipher);
}

const PLAIN_LAN_SEARCH = Buffer.from([0xf1, 0x30, 0x00, 0x00]);
const PLAIN_ALIVE_ACK = Buffer.from([0xf1, 0xe1, 0x00, 0x00]);
const sealedSearches = new WeakMap<CipherKey, Buffer>();
const sealedAliveAcks = new WeakMap<CipherKey, Buffer>();

function sealedOnce(cache: WeakMap<CipherKey, Buffer>, plain: Buffer, cipher: CipherKey | null): Buffer {
  if (cipher === null) return plain;
  let sealed = cache.get(cipher);
  if (!sealed) cache.set(cipher, (sealed = encrypt(cipher, plain)));
  return sealed;
}

export function seal(cipher: CipherKey | null, plain: Buffer): Buffer {
  return cipher === null ? plain : encrypt(cipher, plain);
}

/**
 * Opens a datagram under what is known. Before the cipher is learned, its first byte picks it.
 * Returns undefined for a datagram in another cipher (or junk).
 */
export function open(
  mode: EncryptionMode,
  learned: LearnedCipher,
  datagram: Buffer,
): { plain: Buffer; cipher: CipherKey | null } | undefined {
  const cipher = formOf(mode, learned, datagram);
  if (cipher === undefined) return undefined;
  const plain = openIn(cipher, datagram);
  return plain ? { plain, cipher } : undefined;
}

/** The form a datagram is in: the learned one, or before that the one its first byte picks. */
export function formOf(mode: EncryptionMode, learned: LearnedCipher, datagram: Buffer): CipherKey | null | undefined {
  return learned !== undefined ? learned : detectCipher(datagram, mode.mode === 'auto' ? mode.candidates : NO_KEYS);
}

/** The datagram in clear, if it opens as PPPP in that form (the hot path of `open`, with no result object). */
export function openIn(cipher: CipherKey | null, datagram: Buffer): Buffer | undefined {
  const plain = cipher === null ? datagram : decrypt(cipher, datagram);
  return plain[0] === 0xf1 ? plain : undefined;
}

const NO_KEYS: readonly CipherKey[] = [];

export function cipherName(cipher: CipherKey | null): string {
  return cipher === null ? 'none' : cipher.passphrase;
}
