/** One line of the results table: a figure beside a baseline from the same run, as a ratio. */
export type Verdict = 'met' | 'missed' | 'info' | 'todo';

export interface Row {
  readonly bench: string;
  readonly metric: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

export interface BenchResult {
  readonly name: string;
  /** Set by the runner: the benchmark's number in the issue. */
  readonly label?: string;
  readonly title: string;
  readonly rows: Row[];
  /** Facts worth a sentence under the table: sizes, kernel settings, anything that bounded a figure. */
  readonly notes: string[];
  readonly seconds: number;
}

export interface BenchOptions {
  readonly smoke: boolean;
  /** `--set name=value` overrides of a benchmark's sizes (sessions, seconds, ...), for exploring. */
  readonly params?: Readonly<Record<string, number>>;
}

/** A size: the `--set` override if given, else the smoke or the full value. */
export function size(options: BenchOptions, name: string, full: number, smoke: number): number {
  const given = options.params?.[name];
  return given !== undefined && Number.isFinite(given) ? given : options.smoke ? smoke : full;
}

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(digits)} G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(digits)} M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(digits)} k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(digits);
}

export function ratio(value: number, baseline: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return 'n/a';
  const r = value / baseline;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

export function verdict(met: boolean): Verdict {
  return met ? 'met' : 'missed';
}

export function bytes(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(value / 1024).toFixed(2)} KiB`;
  return `${value.toFixed(0)} B`;
}

export function ms(value: number): string {
  return value >= 100
    ? `${value.toFixed(0)} ms`
    : value >= 1
      ? `${value.toFixed(2)} ms`
      : `${(value * 1000).toFixed(0)} µs`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 2 : 1)}%`;
}

const VERDICT_TEXT: Record<Verdict, string> = { met: 'met', missed: '**MISSED**', info: '—', todo: 'TODO' };

/** A Markdown table of every row, one benchmark after another. */
export function markdownTable(results: readonly BenchResult[]): string {
  const header = ['#', 'benchmark', 'metric', 'figure', 'baseline (same run)', 'ratio', 'target', 'verdict'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  results.forEach((result, i) => {
    for (const row of result.rows) {
      const cells = [
        result.label ?? String(i + 1),
        row.bench,
        row.metric,
        row.value,
        row.baseline,
        row.ratio,
        row.target,
        VERDICT_TEXT[row.verdict],
      ];
      lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    }
  });
  return lines.join('\n');
}

/** The same table for a terminal: aligned columns, no Markdown. */
export function textTable(results: readonly BenchResult[]): string {
  const header = ['benchmark', 'metric', 'figure', 'baseline (same run)', 'ratio', 'target', 'verdict'];
  const rows = results.flatMap((r) =>
    r.rows.map((row) => [row.bench, row.metric, row.value, row.baseline, row.ratio, row.target, row.verdict]),
  );
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
