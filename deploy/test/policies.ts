import { dirname, posix } from 'node:path';
import { type K8sObject, podSpecOf } from './manifests.ts';

// Each policy returns what breaks it, one line per problem, so a failing test names every offender at once.

type Container = {
  name: string;
  image?: string;
  ports?: { containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  // biome-ignore lint/suspicious/noExplicitAny: only the fields checked below are read
  [field: string]: any;
};

const where = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const containersOf = (o: K8sObject): Container[] => {
  const pod = podSpecOf(o);
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
};
const isWorkload = (o: K8sObject) => ['Deployment', 'StatefulSet', 'CronJob'].includes(o.kind);

const DATA_IMAGE = /(^|\/)(postgres|postgresql|redis|valkey|keydb)(:|@|$)/;
const DATA_PORTS = new Set([5432, 6379]);

/** StatefulSets that run PostgreSQL or Redis, which RDS and ElastiCache replace wherever deploy/aws runs. */
export function dataStatefulSets(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'StatefulSet')
    .filter((o) =>
      containersOf(o).some(
        (c) =>
          DATA_IMAGE.test(c.image?.split('/').pop() ?? '') ||
          (c.ports ?? []).some((p) => DATA_PORTS.has(p.containerPort)),
      ),
    )
    .map(where);
}

/**
 * Probes, requests and limits, a non-root read-only securityContext without capabilities, and a
 * ServiceAccount of its own: one that exists in the namespace and that no workload of another app uses.
 */
export function workloadProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const accountUsers = new Map<string, Set<string>>();
  for (const w of objects.filter(isWorkload)) {
    const pod = podSpecOf(w);
    const at = where(w);
    if (!pod.securityContext?.runAsNonRoot) problems.push(`${at}: pod may run as root`);
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
      problems.push(`${at}: no seccomp profile`);
    const account = pod.serviceAccountName;
    const ns = w.metadata.namespace ?? '';
    if (!account || account === 'default') problems.push(`${at}: runs as the default ServiceAccount`);
    else {
      const exists = objects.some(
        (o) =>
          o.kind === 'ServiceAccount' && o.metadata.name === account && (o.metadata.namespace ?? '') === ns,
      );
      if (!exists) problems.push(`${at}: ServiceAccount ${account} does not exist`);
      const template = w.kind === 'CronJob' ? w.spec.jobTemplate.spec.template : w.spec.template;
      const key = `${ns}/${account}`;
      const users = accountUsers.get(key) ?? new Set<string>();
      users.add(template.metadata?.labels?.['app.kubernetes.io/name'] ?? w.metadata.name);
      accountUsers.set(key, users);
    }
    for (const c of containersOf(w)) {
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false)
        problems.push(`${at}/${c.name}: privilege escalation allowed`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}/${c.name}: writable root filesystem`);
      if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${at}/${c.name}: capabilities not dropped`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory)
        problems.push(`${at}/${c.name}: no requests`);
      if (!c.resources?.limits?.cpu || !c.resources?.limits?.memory)
        problems.push(`${at}/${c.name}: no limits`);
      // Jobs run to completion and init containers before the probes start: neither is probed.
      const longRunning = w.kind !== 'CronJob' && !(pod.initContainers ?? []).includes(c);
      if (longRunning && (!c.readinessProbe || !c.livenessProbe)) problems.push(`${at}/${c.name}: no probes`);
    }
  }
  for (const [account, apps] of accountUsers) {
    if (apps.size > 1) problems.push(`ServiceAccount ${account} is shared by ${[...apps].sort().join(', ')}`);
  }
  return problems;
}

/** Where a rendered object declares a DATABASE_URL: ExternalSecret templates, ConfigMaps, literal env values. */
function declaredDatabaseUrls(objects: K8sObject[]): { at: string; url: string }[] {
  const found: { at: string; url: string }[] = [];
  for (const o of objects) {
    const template = o.kind === 'ExternalSecret' ? o.spec?.target?.template?.data : undefined;
    // A Secret's data is base64, so only its stringData can carry a readable URL.
    const plain = o as { data?: Record<string, string>; stringData?: Record<string, string> };
    const data = o.kind === 'ConfigMap' ? plain.data : o.kind === 'Secret' ? plain.stringData : undefined;
    for (const source of [template, data]) {
      if (typeof source?.DATABASE_URL === 'string') found.push({ at: where(o), url: source.DATABASE_URL });
    }
    if (isWorkload(o)) {
      for (const c of containersOf(o)) {
        for (const e of c.env ?? []) {
          if (e.name === 'DATABASE_URL' && e.value !== undefined)
            found.push({ at: `${where(o)}/${c.name}`, url: e.value });
        }
      }
    }
  }
  return found;
}

function queryOf(url: string): URLSearchParams {
  const query = url.indexOf('?');
  return new URLSearchParams(query < 0 ? '' : url.slice(query + 1));
}

/**
 * Every DATABASE_URL verifies the server (sslmode=verify-full with a CA file), and every container that
 * reads one from a Secret mounts that CA file from a ConfigMap holding it. `checked` counts the URLs seen,
 * so a render without any cannot pass by having nothing to check.
 */
export function databaseTlsProblems(objects: K8sObject[]): { checked: number; problems: string[] } {
  const problems: string[] = [];
  const declared = declaredDatabaseUrls(objects);
  for (const { at, url } of declared) {
    const query = queryOf(url);
    if (query.get('sslmode') !== 'verify-full')
      problems.push(`${at}: DATABASE_URL has sslmode=${query.get('sslmode') ?? '(none)'}, not verify-full`);
    if (!query.get('sslrootcert')) problems.push(`${at}: DATABASE_URL names no CA file (sslrootcert)`);
  }
  const urlOfSecret = new Map<string, string>();
  for (const o of objects) {
    const url = o.kind === 'ExternalSecret' ? o.spec?.target?.template?.data?.DATABASE_URL : undefined;
    if (typeof url === 'string') urlOfSecret.set(`${o.metadata.namespace ?? ''}/${o.spec.target.name}`, url);
  }
  for (const w of objects.filter(isWorkload)) {
    const pod = podSpecOf(w);
    const ns = w.metadata.namespace ?? '';
    for (const c of containersOf(w)) {
      const ref = c.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const url = urlOfSecret.get(`${ns}/${ref.name}`);
      const file = url ? queryOf(url).get('sslrootcert') : null;
      if (!file) continue;
      const mount = (c.volumeMounts ?? []).find((m) => posix.relative(m.mountPath, dirname(file)) === '');
      const volume = mount && (pod.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
      const configMap =
        volume?.configMap &&
        objects.find(
          (o) =>
            o.kind === 'ConfigMap' &&
            o.metadata.name === volume.configMap.name &&
            (o.metadata.namespace ?? '') === ns,
        );
      const key = posix.basename(file);
      if (!configMap) problems.push(`${where(w)}/${c.name}: ${file} is not mounted from a ConfigMap`);
      else if (!(configMap as { data?: Record<string, string> }).data?.[key])
        problems.push(`${where(w)}/${c.name}: ConfigMap ${configMap.metadata.name} has no ${key}`);
    }
  }
  return { checked: declared.length, problems };
}

function ipv4Range(cidr: string): [number, number] {
  const [address = '', bits = '32'] = cidr.split('/');
  const start = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = start - (start % size);
  return [first, first + size - 1];
}

/** True when every address of `inner` is in `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [a, b] = ipv4Range(outer);
  const [c, d] = ipv4Range(inner);
  return a <= c && d <= b;
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads (not its functions, labels or strings). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1] ?? '');
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase())))];
}

/**
 * Where each family of metrics comes from in the cluster: a workload that must be deployed (and scraped)
 * for a query on it to show anything. `service` families are the kit's and the services' own.
 */
export const METRIC_SOURCES: { prefix: RegExp; workload?: { kind: string; name: string }; job?: string }[] = [
  { prefix: /^(http_|process_|nodejs_|tiketi_|up$)/, job: 'tiketi-pods' },
  { prefix: /^pg_/, workload: { kind: 'Deployment', name: 'postgres-exporter' }, job: 'postgres' },
  { prefix: /^redis_/, workload: { kind: 'Deployment', name: 'redis-exporter' }, job: 'redis' },
  { prefix: /^rabbitmq_/, workload: { kind: 'StatefulSet', name: 'rabbitmq' }, job: 'tiketi-pods' },
  {
    prefix: /^kube_/,
    workload: { kind: 'Deployment', name: 'kube-state-metrics' },
    job: 'kube-state-metrics',
  },
  { prefix: /^container_/, job: 'cadvisor' },
];

/** Metrics the queries read that nothing deployed and scraped produces, one line each. */
export function unbackedMetrics(exprs: string[], objects: K8sObject[], scrapeJobs: string[]): string[] {
  const problems: string[] = [];
  for (const name of new Set(exprs.flatMap(metricNames))) {
    const source = METRIC_SOURCES.find((s) => s.prefix.test(name));
    if (!source) {
      problems.push(`${name}: no known exporter`);
      continue;
    }
    const { workload, job } = source;
    if (workload && !objects.some((o) => o.kind === workload.kind && o.metadata.name === workload.name))
      problems.push(`${name}: ${workload.kind} ${workload.name} is not deployed`);
    if (job && !scrapeJobs.includes(job)) problems.push(`${name}: Prometheus has no scrape job ${job}`);
  }
  return problems;
}
