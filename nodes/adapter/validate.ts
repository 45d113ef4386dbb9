import { isIPv4 } from 'node:net';

/**
 * Checks for values that come from flow files and query strings: the editor may store numbers
 * as strings, and hand-edited flows may hold anything. Each returns a value or an error text.
 */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(error: string): Checked<T> => ({ ok: false, error });

/**
 * A value as an error message quotes it: short whatever it is (a hand-edited flow or a message
 * may hold a megabyte of text, and the error goes to the log, the status and catch nodes).
 * Numbers as they are (NaN and Infinity included, which JSON would turn into null).
 */
export function describeValue(value: unknown, max = 40): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') {
    if (value.length <= max) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
  }
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  const kind = Array.isArray(value) ? `an array of ${value.length} item${value.length === 1 ? '' : 's'}` : 'an object';
  try {
    const json = JSON.stringify(value);
    return json !== undefined && json.length <= max ? json : kind;
  } catch {
    return kind;
  }
}

/** Undefined, null and blank text mean "not given". */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

export function checkNumber(
  name: string,
  value: unknown,
  fallback: number,
  range: { readonly min: number; readonly max: number; readonly integer?: boolean; readonly exclusiveMin?: boolean },
): Checked<number> {
  if (isBlank(value)) return ok(fallback);
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  const low = range.exclusiveMin ? number > range.min : number >= range.min;
  if (!Number.isFinite(number) || !low || number > range.max || (range.integer && !Number.isInteger(number))) {
    const kind = range.integer ? 'an integer' : 'a number';
    const lower = range.exclusiveMin ? `greater than ${range.min}` : `at least ${range.min}`;
    return fail(`${name} must be ${kind} ${lower} and at most ${range.max}, got ${describeValue(value)}`);
  }
  return ok(number);
}

/** A UDP port; `allowZero` for local ports, where 0 lets the system choose. */
export function checkPort(name: string, value: unknown, fallback: number, allowZero: boolean): Checked<number> {
  return checkNumber(name, value, fallback, { min: allowZero ? 0 : 1, max: 65535, integer: true });
}

export function checkIPv4(name: string, value: unknown, fallback: string): Checked<string> {
  if (isBlank(value)) return ok(fallback);
  if (typeof value !== 'string' || !isIPv4(value.trim())) {
    return fail(`${name} must be an IPv4 address, got ${describeValue(value)}`);
  }
  return ok(value.trim());
}

/** Comma-separated IPv4 addresses; duplicates dropped, at least one, at most `max`. */
export function checkIPv4List(
  name: string,
  value: unknown,
  fallback: readonly string[],
  max: number,
): Checked<string[]> {
  if (isBlank(value)) return ok([...fallback]);
  if (typeof value !== 'string') {
    return fail(`${name} must be a comma-separated list of IPv4 addresses, got ${describeValue(value)}`);
  }
  const items = splitList(value);
  const bad = items.filter((item) => !isIPv4(item));
  if (bad.length > 0) {
    const shown = bad.slice(0, MAX_QUOTED).map((b) => describeValue(b));
    const more = bad.length > MAX_QUOTED ? ` and ${bad.length - MAX_QUOTED} more` : '';
    return fail(`${name}: not an IPv4 address: ${shown.join(', ')}${more}`);
  }
  const unique = [...new Set(items)];
  if (unique.length === 0) return fail(`${name} needs at least one IPv4 address`);
  if (unique.length > max) return fail(`${name} lists ${unique.length} addresses; at most ${max} are allowed`);
  return ok(unique);
}

/** Comma-separated non-empty words (passphrases); blank means the fallback. */
export function checkTextList(
  name: string,
  value: unknown,
  fallback: readonly string[],
  max: number,
): Checked<string[]> {
  if (isBlank(value)) return ok([...fallback]);
  // The value is not quoted: passphrases are half secret.
  if (typeof value !== 'string') return fail(`${name} must be comma-separated text, got ${typeOf(value)}`);
  const unique = [...new Set(splitList(value))];
  if (unique.length > max) return fail(`${name} lists ${unique.length} entries; at most ${max} are allowed`);
  return ok(unique);
}

/** Editor checkboxes store booleans; older or hand-written flows may hold "true"/"false". */
export function checkBoolean(name: string, value: unknown, fallback: boolean): Checked<boolean> {
  if (isBlank(value)) return ok(fallback);
  if (typeof value === 'boolean') return ok(value);
  if (value === 'true') return ok(true);
  if (value === 'false') return ok(false);
  return fail(`${name} must be true or false, got ${describeValue(value)}`);
}

export function checkChoice<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
  fallback: T,
): Checked<T> {
  if (isBlank(value)) return ok(fallback);
  const found = choices.find((choice) => choice === value);
  if (found === undefined) return fail(`${name} must be one of ${choices.join(', ')}, got ${describeValue(value)}`);
  return ok(found);
}

/** Bad list entries an error quotes; the rest are counted. */
const MAX_QUOTED = 3;

/** What kind of value it is, without showing it. */
export function typeOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Collects the errors of several checks; `values` is only complete when `errors` is empty. */
export class CheckList {
  readonly errors: string[] = [];

  take<T>(checked: Checked<T>, fallback: T): T {
    if (checked.ok) return checked.value;
    this.errors.push(checked.error);
    return fallback;
  }
}
