/**
 * The Markdown summary of a bench run (`bench/results/<date>.md`): one table row per figure with its
 * target and verdict, the CPU cost per hold, the notes; or the hot spots of a profiling run.
 */
import type { CpuUse } from './lib/cpu.ts';
import type { LoadResult } from './lib/load.ts';
import type { machine } from './lib/machine.ts';
import type { ProfileSummary } from './lib/profile.ts';
import { fmt, latencyText, type Row, ratioText, table, verdict } from './lib/report.ts';
import type { ChallengeResult } from './scenarios/challenge.ts';
import type { DropResult } from './scenarios/drop.ts';
import type { HoldsResult } from './scenarios/holds.ts';
import type { JoinsResult } from './scenarios/joins.ts';
import type { WaitersResult } from './scenarios/waiters.ts';
import type { Sizes } from './settings.ts';

/** What the summary reads of a run's `<date>.json` (bench/run.ts writes more). */
export type Summary = {
  date: string;
  runSeconds: number;
  machine: Awaited<ReturnType<typeof machine>>;
  loadAverage: Record<string, number[]>;
  notes: string[];
  sizes: Sizes;
  failed?: string;
  baselines?: {
    fastifyHello: LoadResult;
    rawPostgresHold: LoadResult & { holdsPerSecond: number };
    bareUpdate: LoadResult & { holdsPerSecond: number };
    redisSetNx: LoadResult;
  };
  challenge?: ChallengeResult;
  reads?: { list: LoadResult; detail: LoadResult };
  holds?: HoldsResult[];
  drop?: DropResult;
  /** The same drop again on a second event: the platform has seen one sale. */
  nextDrop?: DropResult;
  waiters?: WaitersResult;
  /** Joins, with the waiting-room instances they ran on (older results: `sizes.queueInstances`). */
  joins?: JoinsResult & { queueInstances?: number };
  registration?: { accounts: number; perSecond: number };
};

export function summaryText(r: Summary): string {
  const rows: Row[] = [];
  const hello = r.baselines?.fastifyHello.perSecond ?? 0;
  const rawHold = r.baselines?.rawPostgresHold.holdsPerSecond ?? 0;
  const bare = r.baselines?.bareUpdate.holdsPerSecond ?? 0;
  if (r.baselines) {
    const b = r.baselines;
    rows.push(
      {
        section: 'baseline',
        figure: 'bare Fastify hello',
        measured: `${fmt(hello)} req/s · ${latencyText(b.fastifyHello.latencyMs)}`,
      },
      {
        section: 'baseline',
        figure: `raw PostgreSQL hold (${b.rawPostgresHold.concurrency} conns)`,
        measured: `${fmt(rawHold)} holds/s · ${latencyText(b.rawPostgresHold.latencyMs)}`,
        ratio: ratioText(rawHold, bare, 'bare UPDATE'),
      },
      {
        section: 'baseline',
        figure: `bare conditional UPDATE, scratch table (${b.bareUpdate.concurrency} conns)`,
        measured: `${fmt(bare)} updates/s · ${latencyText(b.bareUpdate.latencyMs)}`,
      },
      {
        section: 'baseline',
        figure: 'Redis SET NX',
        measured: `${fmt(b.redisSetNx.perSecond)} ops/s · ${latencyText(b.redisSetNx.latencyMs)}`,
      },
    );
  }
  if (r.challenge) {
    for (const solve of r.challenge.solve) {
      rows.push({
        section: 'bot defence',
        figure: `a fan solves maxnumber ${fmt(solve.maxNumber)} (1 thread)`,
        measured: `${latencyText(solve.latencyMs)} · ${fmt(solve.hashesPerSecond)} hashes/s`,
      });
    }
    rows.push({
      section: 'bot defence',
      figure: 'the server verifies a solution (HMAC + Redis SET NX)',
      measured: `${fmt(r.challenge.verify.perSecond)} /s · ${latencyText(r.challenge.verify.latencyMs)}`,
    });
  }
  if (r.joins) {
    const j = r.joins;
    const others = Object.entries(j.run.outcomes).filter(([k]) => k !== '201' && k !== '200');
    const instances = j.queueInstances ?? r.sizes.queueInstances;
    rows.push({
      section: 'joins',
      figure: `joins with a verified challenge through the gateway (${fmt(instances)} queue ${instances === 1 ? 'instance' : 'instances'})`,
      measured: `${fmt(j.joinsPerSecond)} joins/s · ${latencyText(j.run.latencyMs)}${others.length ? ` · other answers ${JSON.stringify(Object.fromEntries(others))}` : ''}`,
      target: '≥ 5,000/s',
      verdict: verdict(j.joinsPerSecond >= 5000 && others.length === 0),
    });
  }
  if (r.reads) {
    for (const [name, run] of [
      ['event list', r.reads.list],
      ['event detail', r.reads.detail],
    ] as const) {
      const ok = run.outcomes['200'] === run.requests;
      rows.push({
        section: '1 cached reads',
        figure: `${name} through the gateway`,
        measured: `${fmt(run.perSecond)} req/s · ${latencyText(run.latencyMs)}${ok ? '' : ` · answers ${JSON.stringify(run.outcomes)}`}`,
        target: '≥ 0.30 × Fastify hello',
        ratio: ratioText(run.perSecond, hello, 'Fastify hello'),
        verdict: hello ? verdict(run.perSecond >= 0.3 * hello && ok) : '',
      });
    }
  }
  for (const h of r.holds ?? []) {
    const doubles = h.check.seatsActiveTwice + h.check.seatsAnsweredTwice + h.check.seatsWithoutActiveLink;
    const errors = Object.entries(h.outcomes).filter(([k]) => k !== '201' && k !== '409');
    const section = `2 seat holds, ${fmt(h.seats)} seats`;
    rows.push(
      {
        section,
        figure: 'successful holds through the gateway',
        measured: `${fmt(h.holdsPerSecond)} holds/s (${fmt(h.perSecond)} req/s)`,
        target: '≥ 1,500/s and ≥ 0.25 × bare UPDATE',
        ratio: ratioText(h.holdsPerSecond, bare, 'bare UPDATE'),
        verdict: verdict(h.holdsPerSecond >= 1500 && (!bare || h.holdsPerSecond >= 0.25 * bare)),
      },
      {
        section,
        figure: 'latency (all answers)',
        measured: latencyText(h.latencyMs),
        target: 'p99 < 100 ms',
        verdict: verdict(h.latencyMs.p99 < 100),
      },
      {
        section,
        figure: '409 rate',
        measured: `${fmt(h.conflictRate * 100, 1)} % of ${fmt(h.requests)} requests`,
      },
      {
        section,
        figure: 'seats held twice (database + answers)',
        measured: `${doubles} (held ${fmt(h.check.seatsHeldInDatabase)} in db, ${fmt(h.seatsHeldByAnswers)} by 201s)`,
        target: '0',
        verdict: verdict(doubles === 0 && h.check.seatsHeldInDatabase === h.seatsHeldByAnswers),
      },
      {
        section,
        figure: 'other answers',
        measured: errors.length ? JSON.stringify(Object.fromEntries(errors)) : 'none',
        target: 'none',
        verdict: verdict(errors.length === 0),
      },
      // Older results have no WAL figure.
      ...(Number.isFinite(h.walBytesPerHold)
        ? [
            {
              section,
              figure: 'WAL written per successful hold (the whole server)',
              measured: `${fmt(h.walBytesPerHold)} bytes`,
            },
          ]
        : []),
      {
        section,
        figure: 'CPU per successful hold, all processes counted',
        measured: `${fmt(
          h.cpu.reduce((sum, c) => sum + c.perHoldMs, 0),
          2,
        )} ms`,
      },
    );
  }
  for (const [d, section] of [
    [r.drop, '3 the drop'],
    [r.nextDrop, '3 the next drop'],
  ] as const) {
    if (!d) continue;
    const errorCount = Object.values(d.errors).reduce((a, b) => a + b, 0);
    rows.push(
      {
        section,
        figure: `${fmt(d.fans)} fans, ${fmt(d.seats)} seats`,
        measured: d.soldOut ? `sold out in ${d.timeToSellOutS} s` : 'not sold out',
        target: 'sells out',
        verdict: verdict(d.soldOut),
      },
      {
        section,
        figure: 'end-to-end purchases',
        measured: `${fmt(d.purchasesPerSecond, 1)} purchases/s · ${fmt(d.ticketsPerMinute)} tickets/min`,
        ratio: `${fmt(d.ticketsPerMinute / 350, 1)} × pretix (300–400 tickets/min)`,
      },
      { section, figure: 'admission → confirmed', measured: latencyText(d.purchaseMs) },
      {
        section,
        figure: 'position-update push (via gateway)',
        measured: `${latencyText(d.positionUpdate.latencyMs)} over ${fmt(d.positionUpdate.broadcasts)} broadcasts`,
        target: 'p99 < 1 s',
        verdict: verdict(d.positionUpdate.latencyMs.p99 < 1000),
      },
      {
        section,
        figure: `wait estimate at joining vs real wait (${fmt(d.waitEstimate.compared)} fans)`,
        measured: `error p50 ${fmt(d.waitEstimate.errorS.p50, 1)} s · p90 ${fmt(d.waitEstimate.errorS.p90, 1)} s · max ${fmt(d.waitEstimate.errorS.max, 1)} s (real wait p50 ${fmt(d.waitEstimate.realWaitS.p50, 1)} s, p90 ${fmt(d.waitEstimate.realWaitS.p90, 1)} s; estimated p50 ${fmt(d.waitEstimate.estimatedS.p50, 1)} s, p90 ${fmt(d.waitEstimate.estimatedS.p90, 1)} s)`,
      },
      {
        section,
        figure: 'errors other than 409/429',
        measured: errorCount ? JSON.stringify(d.errors) : '0',
        target: '0',
        verdict: verdict(errorCount === 0),
      },
      { section, figure: '409/429 and pending answers', measured: JSON.stringify(d.expected) },
      {
        section,
        figure: 'invariants',
        measured: `sold ${d.invariants.soldSeats}/${d.seats}, double-sold ${d.invariants.doubleSold}, payments ${d.invariants.completedPayments} = reservations ${d.invariants.confirmedReservations}, paid seats ${d.invariants.paidSeats} = tickets ${d.invariants.tickets}, paid without ticket ${d.invariants.paidWithoutTicket}`,
        target: 'all equal, 0 double',
        verdict: verdict(d.invariants.ok),
      },
    );
  }
  if (r.waiters) {
    const w = r.waiters;
    for (const s of w.steps) {
      rows.push({
        section: '4 waiting room',
        figure: `${fmt(s.waiters)} waiters (${fmt(s.connected)} connected: ${s.perInstance.map((n) => fmt(n)).join(' + ')})`,
        measured: `push ${latencyText(s.pushMs)} · status ask p99 ${fmt(s.askMs.p99, 1)} ms · ${s.broadcasts} broadcasts${(s.cpuPerBroadcast ?? []).map((c) => ` · ${c.name} ${fmt(c.perBroadcastMs)} ms CPU a broadcast`).join('')}`,
      });
    }
    rows.push({
      section: '4 waiting room',
      figure: `waiters held across ${w.instances} instances with p99 push < 1 s`,
      measured: fmt(w.heldWithP99UnderOneSecond),
      target: '≥ 50,000',
      verdict: verdict(w.heldWithP99UnderOneSecond >= 50_000),
    });
  }
  const m = r.machine;
  const lines = [
    `# Tiketi bench, ${r.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, ${m.os}; Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}, RabbitMQ ${m.rabbitmq}, Fastify ${m.fastify}, Socket.IO ${m.socketIo}, undici ${m.undici}; commit ${m.commit}; open-file limit ${m.openFileLimit}.`,
    `Load average (1/5/15 min) at: ${Object.entries(r.loadAverage)
      .map(([k, v]) => `${k} ${v.join(' ')}`)
      .join(' · ')}.`,
    `Run took ${r.runSeconds} s. Sizes: ${JSON.stringify(r.sizes)}.${r.registration ? ` Registration: ${fmt(r.registration.perSecond)} accounts/s.` : ''}`,
    '',
    table(rows),
    '',
    ...cpuTable(
      'successful hold',
      (r.holds ?? []).map((h) => ({ label: `${fmt(h.seats)} seats`, cpu: h.cpu })),
    ),
    ...cpuTable('join', [{ label: 'per join', cpu: r.joins?.cpu }]),
    ...cpuTable('ticket sold, over the drop until the sell-out', [
      { label: 'first drop', cpu: r.drop?.cpu },
      { label: 'next drop', cpu: r.nextDrop?.cpu },
    ]),
    ...(r.waiters?.limitNote ? [`Scenario 4: ${r.waiters.limitNote}.`, ''] : []),
    ...r.notes.map((n) => `- ${n}`),
    ...(r.failed ? ['', `**The run failed:** ${r.failed}`] : []),
    '',
  ];
  return lines.join('\n');
}

/**
 * Per process, the CPU time each unit of work (a hold, a join, a ticket) cost, largest first, one column
 * per run.
 */
function cpuTable(what: string, columns: { label: string; cpu: CpuUse[] | undefined }[]): string[] {
  const runs = columns.filter((c) => c.cpu?.length).map((c) => ({ label: c.label, cpu: c.cpu ?? [] }));
  if (runs.length === 0) return [];
  const names = [...new Set(runs.flatMap((r) => r.cpu.map((c) => c.name)))];
  const per = (r: (typeof runs)[number], name: string) => r.cpu.find((c) => c.name === name)?.perHoldMs ?? 0;
  names.sort((a, b) => per(runs[0]!, b) - per(runs[0]!, a));
  const shared = new Set(runs.flatMap((r) => r.cpu.filter((c) => c.shared).map((c) => c.name)));
  return [
    `CPU time per ${what} (ms, utime + stime from /proc over the timed run; * = a server other work on the machine may use too):`,
    '',
    `| process | ${runs.map((r) => r.label).join(' | ')} |`,
    `|---|${runs.map(() => '---:').join('|')}|`,
    ...names.map(
      (n) => `| ${n}${shared.has(n) ? ' *' : ''} | ${runs.map((r) => fmt(per(r, n), 3)).join(' | ')} |`,
    ),
    `| **all** | ${runs
      .map((r) =>
        fmt(
          r.cpu.reduce((sum, c) => sum + c.perHoldMs, 0),
          2,
        ),
      )
      .join(' | ')} |`,
    '',
  ];
}

export function profileText(list: ProfileSummary[]): string {
  const out = ['# CPU profiles (V8 samples of wall-clock time)', ''];
  for (const p of list) {
    out.push(`## ${p.file} (${fmt(p.sampledMs / 1000, 1)} s sampled)`, '', 'By area:', '');
    for (const a of p.byArea) out.push(`- ${a.area}: ${a.share} %`);
    out.push('', 'Top self time:', '');
    for (const t of p.top) out.push(`- ${t.share} % ${t.fn} ${t.where}`);
    out.push('');
  }
  return out.join('\n');
}
