/**
 * `npm run bench:seat-map`: what reading an event's seat map costs as the venue grows. For events of
 * 1,000, 20,000 and 60,000 seats, through the gateway with 64 concurrent readers: bytes on the wire and
 * p50/p99 of the whole map in one answer (`GET /api/seats/event/:id`, the first public shape), of the
 * layout (`…/layout/:version`, immutable, fetched once per browser) and of the availability
 * (`…/availability`, what the page polls), compressed as a browser asks. Writes
 * `bench/results/<date>-seat-map.json` and `.md`. Starts only the parts it needs, on ports shifted by
 * `TEST_PORT_SHIFT`, on databases, Redis keys and an exchange of its own that it removes afterwards.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { TEST_PORT_SHIFT } from '../scripts/lib/isolated-platform.ts';
import { jsonClient } from './lib/http.ts';
import { closedLoop, type LoadResult } from './lib/load.ts';
import { loadAverage } from './lib/machine.ts';
import { type BenchPlatform, startBenchPlatform } from './lib/platform.ts';
import { fmt, type Row, table, verdict } from './lib/report.ts';
import { createEvent, login } from './lib/setup.ts';

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string' },
    duration: { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const sizes = (flags.sizes ?? process.env.BENCH_SEAT_MAP_SIZES ?? '1000,20000,60000').split(',').map(Number);
const durationMs = Number(flags.duration ?? process.env.BENCH_DURATION_S ?? 10) * 1000;
const concurrency = Number(flags.concurrency ?? process.env.BENCH_CONCURRENCY ?? 64);
/** What a browser sends. */
const BROWSER_ENCODINGS = 'gzip, deflate, br, zstd';
const GOAL = { bytes: 100 * 1024, p99Ms: 50 };

const say = (text: string) => process.stdout.write(`\x1b[1mbench\x1b[0m  ${text}\n`);
const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
const resultsDir = new URL('./results/', import.meta.url).pathname;
const needed = new Set(['user', 'event', 'reservation', 'gateway']);

type Wire = { status: number; bytes: number; coding: string; etag: string | undefined };
type Measured = { wire: Record<'identity' | 'gzip' | 'br', Wire>; load: LoadResult; revalidate?: LoadResult };

let bench: BenchPlatform | undefined;
const stop = async () => {
  await bench?.stop().catch((error: Error) => say(`cleanup failed: ${error.message}`));
  bench = undefined;
};
process.on('SIGINT', () => void stop().then(() => process.exit(130)));

say(`starting user, event, reservation and the gateway (ports +${TEST_PORT_SHIFT})…`);
const loadAtStart = loadAverage();
bench = await startBenchPlatform({
  say,
  // Creating and publishing a 60,000-seat venue takes the event service longer than a request should.
  extraEnv: { UPSTREAM_TIMEOUT_MS: '120000' },
  include: (part) => needed.has(part.name) || part.kind === 'sandbox',
  portOffset: TEST_PORT_SHIFT,
});
const gateway = `http://127.0.0.1:${3001 + TEST_PORT_SHIFT}`;
const api = jsonClient(gateway, 4);
const pool = new Pool(gateway, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });

/** One answer as it crosses the wire: its status, size as sent and coding. */
async function wire(path: string, headers: Record<string, string> = {}): Promise<Wire> {
  const res = await pool.request({ method: 'GET', path, headers });
  const bytes = (await res.body.arrayBuffer()).byteLength;
  return {
    status: res.statusCode,
    bytes,
    coding: String(res.headers['content-encoding'] ?? 'identity'),
    etag: res.headers.etag as string | undefined,
  };
}

/** 64 readers asking as fast as answers come, for the duration. */
function readers(path: string, headers: Record<string, string>) {
  return closedLoop({
    concurrency,
    durationMs,
    once: async () => {
      const res = await pool.request({ method: 'GET', path, headers });
      await res.body.dump();
      return res.statusCode;
    },
  });
}

async function measure(path: string, options: { revalidate?: boolean } = {}): Promise<Measured> {
  const encodings = {
    identity: await wire(path),
    gzip: await wire(path, { 'accept-encoding': 'gzip' }),
    br: await wire(path, { 'accept-encoding': BROWSER_ENCODINGS }),
  };
  const load = await readers(path, { 'accept-encoding': BROWSER_ENCODINGS });
  const etag = encodings.br.etag;
  const revalidate =
    options.revalidate && etag
      ? await readers(path, { 'accept-encoding': BROWSER_ENCODINGS, 'if-none-match': etag })
      : undefined;
  return { wire: encodings, load, ...(revalidate ? { revalidate } : {}) };
}

const results: Record<
  string,
  { whole: Measured; layout: Measured; availability: Measured; load: number[] } | { error: string }
> = {};
try {
  const admin = await login(api, 'admin@tiketi.local', 'tiketi-admin-2026');
  for (const seats of sizes) {
    try {
      say(`${fmt(seats)} seats: creating and publishing the event…`);
      const event = await createEvent(api, admin, { title: `Seat map ${seats}`, seats, perUserLimit: 4 });
      const base = `/api/seats/event/${event.id}`;
      const first = await api.get<{ layoutVersion: string }>(`${base}/availability`);
      const load = loadAverage();
      // The whole map last: at 60,000 seats, 64 readers of it can stall the reservation service for minutes.
      say('  the layout…');
      const layout = await measure(`${base}/layout/${first.body.layoutVersion}`);
      say('  the availability…');
      const availability = await measure(`${base}/availability`, { revalidate: true });
      say('  the whole map…');
      const whole = await measure(base);
      results[String(seats)] = { whole, layout, availability, load };
    } catch (error) {
      // One size failing (a venue too slow to create on a busy machine) leaves the others' figures.
      say(`  failed: ${(error as Error).message}`);
      results[String(seats)] = { error: (error as Error).message };
    }
  }
} finally {
  await api.close();
  await pool.close();
  await stop();
}

const kib = (n: number) => `${fmt(n / 1024, 1)} KiB`;
/** The answers by status: a figure made of errors must say so. */
const answers = (load: LoadResult) =>
  Object.entries(load.outcomes)
    .map(([status, n]) => `${fmt(n)}× ${status}`)
    .join(', ');
const rows: Row[] = [];
for (const [seats, r] of Object.entries(results)) {
  const section = `${fmt(Number(seats))} seats`;
  if ('error' in r) {
    rows.push({ section, figure: 'not measured', measured: r.error.slice(0, 120) });
    continue;
  }
  const line = (name: string, m: Measured, goal?: boolean) => {
    const allAnswered = Object.keys(m.load.outcomes).every((status) => status === '200');
    const ok = allAnswered && m.wire.br.bytes <= GOAL.bytes && m.load.latencyMs.p99 <= GOAL.p99Ms;
    rows.push({
      section,
      figure: name,
      measured: `${answers(m.load)} · ${kib(m.wire.br.bytes)} ${m.wire.br.coding} (gzip ${kib(m.wire.gzip.bytes)}, plain ${kib(
        m.wire.identity.bytes,
      )}) · p50 ${fmt(m.load.latencyMs.p50, 1)} · p99 ${fmt(m.load.latencyMs.p99, 1)} ms · ${fmt(
        m.load.perSecond,
      )}/s`,
      target: goal ? `≤ 100 KiB, p99 ≤ 50 ms` : '',
      verdict: goal ? verdict(ok) : '',
    });
  };
  line('whole map, one answer (first shape)', r.whole);
  line('layout (once per browser, immutable)', r.layout);
  line('availability (polled)', r.availability, true);
  if (r.availability.revalidate) {
    const l = r.availability.revalidate.latencyMs;
    rows.push({
      section,
      figure: 'availability revalidated (304)',
      measured: `${answers(r.availability.revalidate)} · p50 ${fmt(l.p50, 1)} · p99 ${fmt(l.p99, 1)} ms · ${fmt(
        r.availability.revalidate.perSecond,
      )}/s`,
    });
  }
}

const loadAtEnd = loadAverage();
const notes = [
  `${concurrency} concurrent readers through the gateway for ${durationMs / 1000} s per figure, asking with`,
  `\`Accept-Encoding: ${BROWSER_ENCODINGS}\` as a browser does; sizes are the bodies as sent. Load average`,
  `${loadAtStart.join(' ')} at the start, ${loadAtEnd.join(' ')} at the end; per size, before its runs:`,
  ...Object.entries(results).map(
    ([seats, r]) => `- ${fmt(Number(seats))} seats: ${'error' in r ? 'not measured' : r.load.join(' ')}`,
  ),
].join('\n');
const markdown = `# Seat map reads, ${stamp}\n\n${table(rows)}\n\n${notes}\n`;
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  `${resultsDir}${stamp}-seat-map.json`,
  `${JSON.stringify({ stamp, concurrency, durationMs, loadAtStart, loadAtEnd, results }, null, 2)}\n`,
);
writeFileSync(`${resultsDir}${stamp}-seat-map.md`, markdown);
process.stdout.write(`\n${markdown}\n`);
say(`written to bench/results/${stamp}-seat-map.{json,md}`);
