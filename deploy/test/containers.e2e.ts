import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually as pollUntil } from '@tiketi/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultInfraUrls, missingInfra } from '../../scripts/lib/infra-check.ts';
import {
  type IsolationNames,
  removeEverything,
  waitForFreePorts,
} from '../../scripts/lib/isolated-platform.ts';
import { offsetEnv, repoRoot } from '../../scripts/lib/platform.ts';

/**
 * `npm run test:containers` (not part of `npm test`: it builds every image): the Docker engine, the local
 * base images, every image built from deploy/compose's build sections, then the platform started from
 * deploy/compose with those images, on host networking against this machine's PostgreSQL, Redis and
 * RabbitMQ (databases, Redis prefix and exchange of its own, ports shifted), and a ticket bought through
 * the gateway. Everything it made is removed at the end, except the cached base images.
 */
const run = promisify(execFile);
const id = randomBytes(3).toString('hex');
const label = `containers_${id}`;
const project = `tiketi_ct_${id}`;
const tag = `ct-${id}`;
/** Above TEST_PORT_SHIFT, so it runs beside the browser and platform tests of the same checkout. */
const shift = Number(process.env.TEST_PORT_SHIFT ?? 0) + 500;
const composeFile = join(repoRoot, 'deploy/compose/compose.yaml');
const dataStores = ['postgres', 'redis', 'rabbitmq'];
const work = mkdtempSync(join(tmpdir(), 'tiketi-containers-'));
const envFile = join(work, 'secrets.env');
const names: IsolationNames = {
  DATABASE_SUFFIX: `_${label}`,
  REDIS_PREFIX: `${label}:`,
  AMQP_EXCHANGE: `tiketi.${label}`,
};
const baseImages = { NODE_IMAGE: 'tiketi-local/node:24', NGINX_IMAGE: 'tiketi-local/nginx:bookworm' };

type ComposeService = {
  image: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: unknown[];
  depends_on?: Record<string, unknown>;
  profiles?: string[];
  network_mode?: string;
};
type Compose = { services: Record<string, ComposeService> };

/** Where the gateway answers probes and scrapes (its package.json `tiketi.opsPort`), never its public port. */
const GATEWAY_OPS_PORT = 3091;

const log = (text: string) => process.stdout.write(`containers  ${text}\n`);

/** Runs a command with its output shown as it comes (the long steps: engine, base images, builds). */
function shown(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

const docker = async (...args: string[]) =>
  (await run('docker', args, { cwd: repoRoot, maxBuffer: 64 << 20 })).stdout.trim();

/** Compose v2 (`docker compose`) when the engine has it, else the standalone docker-compose. */
let composeCommand: string[] = ['docker', 'compose'];
const compose = async (args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const [command, ...first] = composeCommand as [string, ...string[]];
  return (await run(command, [...first, ...args], { cwd: repoRoot, env, maxBuffer: 64 << 20 })).stdout;
};
// The engine on vfs can take minutes to stop and remove fourteen containers: compose v1 waits 60 s.
const composeEnv = { ...process.env, ...baseImages, TIKETI_TAG: tag, COMPOSE_HTTP_TIMEOUT: '600' };

/**
 * BuildKit where there is one: buildx, or a docker CLI older than 23 with the engine's built-in BuildKit
 * (the legacy builder copies the whole image for every instruction, which on vfs takes minutes).
 */
async function builder(): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  if (
    await run('docker', ['buildx', 'version']).then(
      () => true,
      () => false,
    )
  )
    return { command: 'docker', args: ['buildx', 'build', '--load'], env: process.env };
  for (const cli of ['docker', '/usr/bin/docker']) {
    const version = await run(cli, ['version', '-f', '{{.Client.Version}}']).then(
      (r) => r.stdout.trim(),
      () => '',
    );
    if (version && Number(version.split('.')[0]) < 23)
      return { command: cli, args: ['build'], env: { ...process.env, DOCKER_BUILDKIT: '1' } };
  }
  return { command: 'docker', args: ['build'], env: process.env };
}

let config: Compose;
let platformNames: string[] = [];
const built: string[] = [];
const sizes: Record<string, number> = {};
const port = (base: number) => base + shift;
const gateway = `http://127.0.0.1:${port(3001)}`;

async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; base?: string } = {},
) {
  const res = await fetch(`${options.base ?? gateway}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: replies of every shape, read by the assertions
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body, text, headers: res.headers };
}

/** The kit's poll, at the pace of containers that take seconds to change state. */
const eventually = <T>(check: () => Promise<T>, timeoutMs = 60_000) => pollUntil(check, timeoutMs, 1000);

/** deploy/compose as this machine can run it: host networking, the machine's servers, shifted ports. */
function onThisMachine(rendered: Compose): Compose {
  const servers = defaultInfraUrls(process.env);
  const services: Record<string, ComposeService> = {};
  for (const name of platformNames) {
    const s = rendered.services[name] as ComposeService;
    const standard = Number(s.environment?.PORT ?? 3000);
    const environment: Record<string, string> = {
      ...s.environment,
      ...(offsetEnv(shift) as Record<string, string>),
      PORT: String(port(standard)),
      // The gateway's health, readiness and metrics answer on its operations port, shifted like the rest.
      ...(name === 'gateway' ? { OPS_PORT: String(port(GATEWAY_OPS_PORT)) } : {}),
      DATABASE_URL: servers.databaseUrl,
      REDIS_URL: servers.redisUrl,
      AMQP_URL: servers.amqpUrl,
      ...names,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      GATEWAY_URL: gateway,
    };
    const { ports: _ports, depends_on, ...rest } = s;
    services[name] = {
      ...rest,
      network_mode: 'host',
      environment,
      depends_on: Object.fromEntries(
        Object.entries(depends_on ?? {}).filter(([peer]) => !dataStores.includes(peer)),
      ),
    };
  }
  // The data stores are this machine's; without them no volume or network of the file is needed.
  return { services };
}

const containerOf = async (service: string) =>
  docker(
    'ps',
    '-aq',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  );

beforeAll(async () => {
  log('the Docker engine…');
  await shown('bash', ['scripts/infra-up.sh', 'postgres', 'redis', 'rabbitmq', 'engine']);
  if (
    !(await run('docker', ['compose', 'version']).then(
      () => true,
      () => false,
    ))
  ) {
    await run('docker-compose', ['version']).catch(() =>
      shown('bash', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose']),
    );
    composeCommand = ['docker-compose'];
  }
  log('local base images…');
  await shown('bash', ['deploy/docker/local-base/build.sh']);
  await shown('bash', ['deploy/compose/secrets.sh', envFile]);

  config = parse(await compose(['-f', composeFile, '--env-file', envFile, 'config'], composeEnv)) as Compose;
  platformNames = Object.entries(config.services)
    .filter(([name, s]) => !dataStores.includes(name) && !s.profiles?.length)
    .map(([name]) => name);

  const build = await builder();
  for (const name of platformNames) {
    const s = config.services[name] as ComposeService;
    if (!s.build) continue;
    const started = Date.now();
    log(`building ${s.image}…`);
    const args = Object.entries(s.build.args ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    await shown(
      build.command,
      [
        ...build.args,
        '-q',
        '--network',
        'host',
        '-f',
        join(s.build.context, s.build.dockerfile),
        ...args,
        '-t',
        s.image,
        s.build.context,
      ],
      build.env,
    );
    built.push(s.image);
    sizes[name] = Number(await docker('image', 'inspect', '-f', '{{.Size}}', s.image));
    log(
      `  ${s.image}: ${(sizes[name] / 1e6).toFixed(0)} MB in ${Math.round((Date.now() - started) / 1000)} s`,
    );
  }

  const file = join(work, 'compose.json');
  writeFileSync(file, JSON.stringify(onThisMachine(config), null, 2));
  // Another run of this file on the machine (another checkout's CI) holds the same shifted ports until it
  // ends: wait for it rather than start containers that cannot listen.
  await waitForFreePorts({ portOffset: shift, timeoutMs: 15 * 60_000, say: log });
  log(`starting ${platformNames.join(', ')} (project ${project}, ports +${shift})…`);
  await compose(['-p', project, '-f', file, '--env-file', envFile, 'up', '-d'], composeEnv).catch(
    async (error) => {
      throw new Error(`${(error as Error).message}\n${await logsOfUnhealthy()}`);
    },
  );
}, 25 * 60_000);

async function logsOfUnhealthy(): Promise<string> {
  const lines: string[] = [];
  for (const name of platformNames) {
    const container = await containerOf(name);
    if (!container) continue;
    const health = await docker(
      'inspect',
      '-f',
      '{{if .State.Health}}{{.State.Health.Status}}{{end}}',
      container,
    );
    if (health === 'healthy') continue;
    const out = await run('docker', ['logs', '--tail', '15', container]).then(
      (r) => r.stdout + r.stderr,
      (e) => String(e),
    );
    lines.push(`--- ${name} (${health || 'no health'}):\n${out}`);
  }
  return lines.join('\n');
}

afterAll(async () => {
  log('removing what it made…');
  const file = join(work, 'compose.json');
  await compose(
    ['-p', project, '-f', file, '--env-file', envFile, 'down', '-v', '--remove-orphans'],
    composeEnv,
  ).catch((error) => log(`compose down: ${(error as Error).message}`));
  if (!process.env.KEEP_IMAGES && built.length) await docker('rmi', ...built).catch(() => undefined);
  await removeEverything(names).catch((error: Error) => log(error.message));
  rmSync(work, { recursive: true, force: true });
  if (Object.keys(sizes).length) {
    log('image sizes:');
    for (const [name, size] of Object.entries(sizes))
      log(`  ${name.padEnd(18)} ${(size / 1e6).toFixed(0)} MB`);
  }
}, 5 * 60_000);

describe('deploy/compose as an operator runs it', () => {
  it('publishes only the gateway and the web app (sandboxes on the host loopback alone)', () => {
    const published = Object.entries(config.services)
      .filter(([, s]) => (s.ports ?? []).some((p) => !JSON.stringify(p).includes('127.0.0.1')))
      .map(([name]) => name);
    expect(published.sort()).toEqual(['gateway', 'web']);
  });

  it('runs every service with TIKETI_ENV=production and refuses to start without generated secrets', async () => {
    for (const name of platformNames.filter((n) => !n.startsWith('sandbox-') && n !== 'web'))
      expect(config.services[name]?.environment?.TIKETI_ENV, name).toBe('production');
    const empty = join(work, 'empty.env');
    writeFileSync(empty, '');
    const refused = await compose(['-f', composeFile, '--env-file', empty, 'config'], composeEnv).then(
      () => '',
      (error: { stderr?: string }) => String(error.stderr),
    );
    expect(refused).toMatch(/secrets\.sh/);
    const secretValues = readFileSync(envFile, 'utf8').split('\n').filter(Boolean);
    expect(secretValues.length).toBeGreaterThanOrEqual(10);
    expect(JSON.stringify(config)).not.toMatch(/tiketi-local-/);
  });
});

describe('the images', () => {
  it(
    'every container becomes healthy by its image HEALTHCHECK',
    async () => {
      await eventually(async () => {
        const report = await logsOfUnhealthy();
        if (report) throw new Error(`not healthy yet:\n${report}`);
      }, 5 * 60_000);
    },
    6 * 60_000,
  );

  it('every service answers /readyz and every container runs as a user other than root', async () => {
    for (const name of platformNames) {
      const container = await containerOf(name);
      const image = config.services[name]?.image as string;
      expect(await docker('image', 'inspect', '-f', '{{json .Config.Healthcheck}}', image), name).not.toBe(
        'null',
      );
      const uid = await docker('exec', container, 'id', '-u');
      expect(uid, `${name} runs as uid ${uid}`).not.toBe('0');
      const standard = Number(config.services[name]?.environment?.PORT ?? 3000);
      if (!name.startsWith('sandbox-')) {
        const ready = name === 'gateway' ? GATEWAY_OPS_PORT : standard;
        const res = await fetch(`http://127.0.0.1:${port(ready)}/readyz`);
        expect(res.status, `${name} /readyz`).toBe(200);
      }
    }
  });

  it('service images hold no development dependencies', async () => {
    const container = await containerOf('gateway');
    for (const dev of ['vitest', 'typescript', '@biomejs', 'node/bin/node', 'playwright-core'])
      expect(
        await run('docker', ['exec', container, 'ls', `/app/node_modules/${dev}`]).then(
          () => dev,
          () => 'absent',
        ),
      ).toBe('absent');
  });

  it('the web image ships no source maps and serves its pages with the security headers', async () => {
    const container = await containerOf('web');
    expect(await docker('exec', container, 'find', '/usr/share/nginx/html', '-name', '*.map')).toBe('');
    const page = await fetch(`http://127.0.0.1:${port(3000)}/events`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    const html = await page.text();
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1] as string;
    const asset = await fetch(`http://127.0.0.1:${port(3000)}${script}`);
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await asset.text()).not.toMatch(/sourceMappingURL/);
    // The one front door: the API through the web app's origin.
    expect((await fetch(`http://127.0.0.1:${port(3000)}/api/events`)).status).toBe(200);
  });
});

describe('a ticket bought through the gateway of the containers', () => {
  it('hold → Toss sandbox → confirm → ticket → email in the mail sandbox', async () => {
    const secrets = Object.fromEntries(
      readFileSync(envFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const admin = await api('POST', '/api/auth/login', {
      body: { email: 'admin@tiketi.local', password: secrets.ADMIN_PASSWORD },
    });
    expect(admin.status, admin.text).toBe(200);
    const fan = await api('POST', '/api/auth/login', {
      body: { email: 'fan@tiketi.local', password: 'tiketi-fan-2026' },
    });
    expect(fan.status, fan.text).toBe(200);
    const token = admin.body.accessToken as string;
    const artist = await api('POST', '/api/artists', {
      token,
      body: { name: 'Container Band', genre: 'Rock' },
    });
    const venue = await api('POST', '/api/venues', {
      token,
      body: {
        name: `Hall ${id}`,
        city: 'Seoul',
        sections: [{ name: 'A', rows: [{ label: '1', seatCount: 2, tierKey: 'R' }] }],
      },
    });
    const day = 86_400_000;
    const event = await api('POST', '/api/events', {
      token,
      body: {
        artistId: artist.body.id,
        venueId: venue.body.id,
        title: 'Container Night',
        startsAt: new Date(Date.now() + 30 * day).toISOString(),
        saleOpensAt: new Date(Date.now() - day).toISOString(),
        saleClosesAt: new Date(Date.now() + 29 * day).toISOString(),
        perUserLimit: 2,
        priceTiers: [{ key: 'R', name: 'R', price: 99_000 }],
      },
    });
    expect(event.status, event.text).toBe(201);
    const eventId = event.body.id as string;
    expect((await api('POST', `/api/events/${eventId}/publish`, { token })).status).toBe(200);
    const seatId = await eventually(async () => {
      const map = await api('GET', `/api/seats/event/${eventId}`);
      if (map.status !== 200 || map.body.seats.length !== 2) throw new Error(`seat map: ${map.status}`);
      return map.body.seats[0].id as string;
    });

    const fanToken = fan.body.accessToken as string;
    const held = await api('POST', '/api/reservations', {
      token: fanToken,
      body: { eventId, seatIds: [seatId] },
    });
    expect(held.status, held.text).toBe(201);
    // The payment service learns the event's schedule from the bus: it may need a moment.
    const opened = await eventually(async () => {
      const res = await api('POST', '/api/payments/toss/request', {
        token: fanToken,
        body: {
          reservationId: held.body.reservationId,
          amount: held.body.amount,
          customerInfo: { name: 'Fan', email: 'fan@tiketi.local' },
        },
      });
      if (res.status !== 201) throw new Error(`request: ${res.status} ${res.text}`);
      return res;
    });
    const key = new URL(opened.body.paymentUrl).pathname.split('/').pop();
    const paid = await api('POST', `/sandbox/payments/${key}/authorize`, {
      base: `http://127.0.0.1:${port(4101)}`,
      body: { outcome: 'approve' },
    });
    expect(paid.status, paid.text).toBe(200);
    const confirmed = await api('POST', '/api/payments/toss/confirm', {
      token: fanToken,
      body: { paymentKey: paid.body.paymentKey, orderId: paid.body.orderId, amount: paid.body.amount },
    });
    expect(confirmed.status, confirmed.text).toBe(200);

    await eventually(async () => {
      const tickets = await api('GET', '/api/tickets', { token: fanToken });
      const mine = JSON.stringify(tickets.body);
      if (tickets.status !== 200 || (!mine.includes(seatId) && !mine.includes(held.body.reservationId)))
        throw new Error(`tickets: ${tickets.status} ${tickets.text}`);
    });
    await eventually(async () => {
      const mail = await api('GET', '/api/messages?to=fan@tiketi.local', {
        base: `http://127.0.0.1:${port(4102)}`,
      });
      if (!JSON.stringify(mail.body).includes('Container Night'))
        throw new Error(`no ticket email yet: ${mail.text.slice(0, 300)}`);
    });
  }, 180_000);
});

describe('npm start brings its own servers through the Docker engine', () => {
  // Ports of a set beside the machine's own servers (RabbitMQ's distribution port is AMQP's + 20,000).
  const ports = { POSTGRES_PORT: 17_432, REDIS_PORT: 17_379, AMQP_PORT: 17_672 };
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] += shift;
  const serversProject = `tiketi_servers_${id}`;
  const serversFile = join(repoRoot, 'deploy/compose/servers.yaml');
  const env = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    TIKETI_SERVERS_PROJECT: serversProject,
    POSTGRES_IMAGE: 'tiketi-local/postgres:15',
    REDIS_IMAGE: 'tiketi-local/redis:7',
    RABBITMQ_IMAGE: 'tiketi-local/rabbitmq:3',
  };
  const urls = {
    databaseUrl: `postgres://postgres@127.0.0.1:${ports.POSTGRES_PORT}/postgres`,
    redisUrl: `redis://127.0.0.1:${ports.REDIS_PORT}`,
    amqpUrl: `amqp://guest:guest@127.0.0.1:${ports.AMQP_PORT}`,
  };

  afterAll(async () => {
    await compose(['-p', serversProject, '-f', serversFile, 'down', '-v'], env).catch((error) =>
      log(`servers down: ${(error as Error).message}`),
    );
  }, 120_000);

  it(
    'starts PostgreSQL, Redis and RabbitMQ from deploy/compose/servers.yaml when they do not answer',
    async () => {
      log('local server images…');
      await shown('bash', ['deploy/docker/local-base/build.sh', 'postgres', 'redis', 'rabbitmq']);
      expect((await missingInfra(urls)).map((m) => m.part)).toEqual(['postgres', 'redis', 'rabbitmq']);

      const { stdout } = await run('bash', ['scripts/infra-up.sh'], { cwd: repoRoot, env, timeout: 300_000 });
      for (const name of ['PostgreSQL', 'Redis', 'RabbitMQ'])
        expect(stdout).toMatch(new RegExp(`starting ${name} through the Docker engine`));
      expect(await missingInfra(urls)).toEqual([]);
      const running = await docker(
        'ps',
        '--filter',
        `label=com.docker.compose.project=${serversProject}`,
        '-q',
      );
      expect(running.split('\n').filter(Boolean)).toHaveLength(3);

      // Again: everything answers, nothing is started twice.
      const again = await run('bash', ['scripts/infra-up.sh'], { cwd: repoRoot, env, timeout: 60_000 });
      expect(again.stdout).toMatch(/PostgreSQL answers.*\n.*Redis answers.*\n.*RabbitMQ answers/);
    },
    15 * 60_000,
  );
});
