/** Latency percentiles of a set of samples, in milliseconds. */
export type Latency = { count: number; mean: number; p50: number; p95: number; p99: number; max: number };

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The nearest-rank `q` quantile (0–1) of samples already sorted ascending; 0 for none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  return n === 0 ? 0 : (sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? 0);
}

/** Nearest-rank percentiles: plain, and exact for the sample sizes a bench run collects. */
export function summarise(samples: ArrayLike<number>): Latency {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const at = (q: number) => quantile(sorted, q);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    mean: round(sum / n, 2),
    p50: round(at(0.5), 2),
    p95: round(at(0.95), 2),
    p99: round(at(0.99), 2),
    max: round(sorted[n - 1] ?? 0, 2),
  };
}

export function increment(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
