import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { repoRoot } from '../../scripts/lib/platform.ts';

type CpuProfile = {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
};

export type ProfileSummary = {
  file: string;
  sampledMs: number;
  /** Share of samples by where the code lives (our source, a library, Node itself, idle, GC). */
  byArea: { area: string; share: number }[];
  /** Functions with the most self time. */
  top: { fn: string; where: string; share: number }[];
};

function areaOf(url: string, fn: string): string {
  if (fn === '(idle)') return '(idle)';
  if (fn === '(garbage collector)') return '(garbage collector)';
  if (fn === '(program)') return '(program: native, outside JS)';
  if (!url) return '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1]!;
  const ours = /(packages|services|sandbox)\/([^/]+)\//.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return url;
}

/** Self time by function and by area, from a V8 `.cpuprofile` (what `node --cpu-prof` writes). */
export function summariseProfile(path: string, topN = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length || 1;
  const fns = new Map<string, { fn: string; where: string; n: number }>();
  const areas = new Map<string, number>();
  for (const [id, n] of hits) {
    const frame = byNode.get(id);
    if (!frame) continue;
    const url = frame.url.replace(/^file:\/\//, '');
    const where = url
      ? `${url.includes(repoRoot) ? relative(repoRoot, url) : url}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName}@${where}`;
    const entry = fns.get(key) ?? { fn: frame.functionName || '(anonymous)', where, n: 0 };
    entry.n += n;
    fns.set(key, entry);
    const area = areaOf(url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + n);
  }
  const share = (n: number) => Math.round((n / total) * 1000) / 10;
  return {
    file: relative(repoRoot, path),
    sampledMs: Math.round((profile.endTime - profile.startTime) / 1000),
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([area, n]) => ({ area, share: share(n) })),
    top: [...fns.values()]
      .sort((a, b) => b.n - a.n)
      .slice(0, topN)
      .map((e) => ({ fn: e.fn, where: e.where, share: share(e.n) })),
  };
}
