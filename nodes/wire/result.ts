/**
 * The outcome of decoding untrusted bytes. Decoders return one of these and never throw, so a
 * hostile or broken datagram can only ever be counted, not crash the process.
 */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

export type DecodeErrorCode = 'too-short' | 'bad-magic' | 'bad-length' | 'bad-field';

export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly message: string;
}

export function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function fail<T>(code: DecodeErrorCode, message: string): Decoded<T> {
  return { ok: false, error: { code, message } };
}
