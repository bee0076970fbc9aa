import type { Latency } from './stats.ts';

export type Row = {
  section: string;
  figure: string;
  measured: string;
  target?: string;
  /** Against the baseline it is compared with, e.g. "0.42 × raw PostgreSQL hold". */
  ratio?: string;
  /** Met, missed, or nothing to meet. */
  verdict?: 'met' | 'missed' | '';
};

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const latencyText = (l: Latency) =>
  `p50 ${fmt(l.p50, 1)} · p95 ${fmt(l.p95, 1)} · p99 ${fmt(l.p99, 1)} ms`;

export const ratioText = (value: number, base: number, name: string) =>
  base > 0 ? `${fmt(value / base, 2)} × ${name}` : '';

export const verdict = (ok: boolean): 'met' | 'missed' => (ok ? 'met' : 'missed');

/** A plain-text table that reads well in a terminal and as Markdown. */
export function table(rows: Row[]): string {
  const head = ['section', 'figure', 'measured', 'target', 'ratio to baseline', ''];
  const body = rows.map((r) => [
    r.section,
    r.figure,
    r.measured,
    r.target ?? '',
    r.ratio ?? '',
    r.verdict === 'met' ? '✓' : r.verdict === 'missed' ? '✗' : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
