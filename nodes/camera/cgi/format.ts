/** One `var name=value;` line: numbers stay bare, strings become JavaScript string literals. */
export type Var = readonly [string, string | number];

export function formatVars(list: readonly Var[]): string {
  return list.map(([name, value]) => `var ${name}=${formatValue(value)};\r\n`).join('');
}

/** `name=value;` lines without `var`, the form `trans_cmd_string.cgi` answers in. */
export function formatBareVars(list: readonly Var[]): string {
  return list.map(([name, value]) => `${name}=${formatValue(value)};\r\n`).join('');
}

function formatValue(value: string | number): string {
  return typeof value === 'number' ? String(value) : quote(value);
}

/** Values are JavaScript string literals in the firmware's output. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`;
}

/** What a command that did what it was asked answers. */
export const RESULT_OK = 'result=0;\r\n';
/** A command the camera understood but could not carry out (bad parameter, empty preset). */
export const RESULT_FAILED = 'result=-1;\r\n';
/** Wrong credentials, or an eye4 camera whose session has not authenticated yet. */
export const RESULT_REFUSED = 'result=-2;\r\n';
/** A CGI name the firmware does not know (PROTOCOL.md §7.2). */
export const NOT_SUPPORTED = 'var cgi="not support";\r\n';

/** A whole decimal number within [min, max], or undefined. */
export function integerParam(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || !/^-?\d{1,12}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}
