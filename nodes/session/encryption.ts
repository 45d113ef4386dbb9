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
  const cipher = learned !== undefined ? learned : detectCipher(datagram, mode.mode === 'auto' ? mode.candidates : []);
  if (cipher === undefined) return undefined;
  if (cipher === null) return datagram[0] === 0xf1 ? { plain: datagram, cipher } : undefined;
  const plain = decrypt(cipher, datagram);
  return plain[0] === 0xf1 ? { plain, cipher } : undefined;
}

export function cipherName(cipher: CipherKey | null): string {
  return cipher === null ? 'none' : cipher.passphrase;
}
