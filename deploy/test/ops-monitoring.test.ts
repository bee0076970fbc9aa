import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { deployDir, type K8sObject, kustomize, parseYaml } from './manifests.ts';
import { metricNames, unbackedMetrics } from './policies.ts';

const monitoring = join(deployDir, 'monitoring');
const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { encoding: 'utf8', cwd: monitoring, stdio: ['ignore', 'pipe', 'pipe'] });

describe('ops-monitoring prometheus', () => {
  it('alert rules pass promtool', () => {
    expect(promtool('check', 'rules', 'prometheus/rules/tiketi.rules.yml')).toMatch(/SUCCESS/);
  });

  it('fires each alert on the failure it is for (promtool rule unit tests)', () => {
    const out = execFileSync('promtool', ['test', 'rules', 'tiketi.rules.test.yml'], {
      encoding: 'utf8',
      cwd: join(monitoring, 'prometheus/tests'),
    });
    expect(out).toMatch(/SUCCESS/);
  });

  it('alerts on error rate, latency, consumer and outbox backlog, dead letters, payment failures and hold expiry lag', () => {
    const [rules] = parseYaml(
      readFileSync(join(monitoring, 'prometheus/rules/tiketi.rules.yml'), 'utf8'),
    ) as {
      groups: { rules: { alert?: string }[] }[];
    }[];
    const alerts = (rules?.groups ?? []).flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'TiketiHighErrorRate',
        'TiketiHighLatency',
        'TiketiConsumerBacklog',
        'TiketiOutboxBacklog',
        'TiketiDeadLetters',
        'TiketiPaymentFailures',
        'TiketiHoldExpiryLag',
      ]),
    );
  });

  it('the compose scrape config passes promtool, and reads the services with the ops token compose gives it', () => {
    // The token file exists only inside the container, written there from OPS_TOKEN: syntax only here.
    expect(promtool('check', 'config', '--syntax-only', 'prometheus/prometheus.compose.yml')).toMatch(
      /SUCCESS/,
    );
    const [config] = parseYaml(
      readFileSync(join(monitoring, 'prometheus/prometheus.compose.yml'), 'utf8'),
    ) as {
      scrape_configs: { job_name: string; authorization?: { credentials_file?: string } }[];
    }[];
    const tokenFile = config?.scrape_configs.find((job) => job.job_name === 'tiketi-pods')?.authorization
      ?.credentials_file;
    expect(tokenFile).toBe('/prometheus/ops_token');
    const [compose] = parseYaml(readFileSync(join(deployDir, 'compose/compose.yaml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string>; entrypoint?: string[] }>;
    }[];
    const prometheus = compose?.services.prometheus;
    expect(prometheus?.environment?.OPS_TOKEN).toMatch(/^\$\{OPS_TOKEN:\?/);
    expect(prometheus?.entrypoint?.join(' ')).toContain(`printf %s "$$OPS_TOKEN" > ${tokenFile}`);
  });

  it('the cluster scrape config passes promtool with its discovery stood in for by static targets', () => {
    // Debian's promtool is built without Kubernetes discovery; everything else (relabelling, rule files) is checked.
    const config = parseYaml(readFileSync(join(monitoring, 'prometheus/prometheus.yml'), 'utf8'))[0] as {
      scrape_configs: Record<string, unknown>[];
      rule_files: string[];
    };
    for (const job of config.scrape_configs) {
      if (job.kubernetes_sd_configs) {
        delete job.kubernetes_sd_configs;
        job.static_configs = [{ targets: ['127.0.0.1:9090'] }];
      }
    }
    config.rule_files = [join(monitoring, 'prometheus/rules/tiketi.rules.yml')];
    const dir = mkdtempSync(join(tmpdir(), 'ops-prometheus-'));
    try {
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, stringify(config));
      const out = execFileSync('promtool', ['check', 'config', '--syntax-only', file], { encoding: 'utf8' });
      expect(out).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

type Panel = { type: string; title: string; targets?: { expr: string }[]; panels?: Panel[] };

describe('ops-monitoring grafana', () => {
  const dashboard = JSON.parse(
    readFileSync(join(monitoring, 'grafana/dashboards/key-metrics.json'), 'utf8'),
  ) as {
    uid: string;
    panels: Panel[];
  };

  it('the Key Metrics dashboard parses and has the seed sections: service health, resource usage, database', () => {
    expect(dashboard.uid).toBe('tiketi-key-metrics');
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(expect.arrayContaining(['Service Health', 'Resource Usage', 'Database']));
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.every((p) => p.targets?.length && p.targets.every((t) => t.expr.length > 0))).toBe(true);
  });

  it('queries the RED metrics the services expose', () => {
    const exprs = dashboard.panels
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.expr)
      .join('\n');
    for (const metric of [
      'http_requests_total',
      'http_request_errors_total',
      'http_request_duration_seconds_bucket',
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it('the provisioning files parse and name the datasources the dashboard uses', () => {
    const [datasources] = parseYaml(
      readFileSync(join(monitoring, 'grafana/provisioning/datasources.yml'), 'utf8'),
    ) as { datasources: { uid: string }[] }[];
    expect((datasources?.datasources ?? []).map((d) => d.uid).sort()).toEqual([
      'jaeger',
      'loki',
      'prometheus',
    ]);
    expect(parseYaml(readFileSync(join(monitoring, 'loki/loki.yml'), 'utf8'))).toHaveLength(1);
  });
});

describe('ops-monitoring backing', () => {
  const dashboard = JSON.parse(
    readFileSync(join(monitoring, 'grafana/dashboards/key-metrics.json'), 'utf8'),
  ) as { panels: Panel[] };
  const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
  const scrape = parseYaml(readFileSync(join(monitoring, 'prometheus/prometheus.yml'), 'utf8'))[0] as {
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  };
  const jobs = scrape.scrape_configs.map((j) => j.job_name);
  let production: K8sObject[] = [];

  it('reads metric names out of PromQL, not its functions, labels or strings', () => {
    expect(
      metricNames(
        'sum by (datname) (pg_stat_database_numbackends{datname=~".+_db"}) / scalar(max(pg_settings_max_connections))',
      ).sort(),
    ).toEqual(['pg_settings_max_connections', 'pg_stat_database_numbackends']);
    expect(metricNames('label_replace(kube_hpa_x{a="b"}, "c", "$1", "d", "(.*)") * 60')).toEqual([
      'kube_hpa_x',
    ]);
  });

  it('backs every dashboard query with an exporter the cluster runs and Prometheus scrapes', () => {
    production = kustomize(join(deployDir, 'k8s/overlays/production'));
    expect(exprs.flatMap(metricNames)).toEqual(
      expect.arrayContaining(['pg_stat_database_numbackends', 'redis_connected_clients']),
    );
    expect(unbackedMetrics(exprs, production, jobs)).toEqual([]);
    // Without the exporters, their panels would be empty: the check says so.
    const without = production.filter((o) => !/-exporter$/.test(o.metadata.name));
    expect(unbackedMetrics(exprs, without, jobs)).toEqual(
      expect.arrayContaining([
        'pg_stat_database_numbackends: Deployment postgres-exporter is not deployed',
        'redis_connected_clients: Deployment redis-exporter is not deployed',
      ]),
    );
  });

  it('sends alerts to Alertmanager, which sends them to an on-call receiver with its secret mounted', () => {
    const targets = scrape.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual(['alertmanager.tiketi-monitoring.svc:9093']);
    const config = parseYaml(readFileSync(join(monitoring, 'alertmanager/alertmanager.yml'), 'utf8'))[0] as {
      route: { receiver: string; routes?: { receiver: string }[] };
      receivers: { name: string; slack_configs?: { api_url_file: string }[] }[];
    };
    const used = [config.route.receiver, ...(config.route.routes ?? []).map((r) => r.receiver)];
    for (const name of used) {
      const receiver = config.receivers.find((r) => r.name === name);
      expect(receiver?.slack_configs?.length, name).toBeGreaterThan(0);
    }
    const file = config.receivers[0]?.slack_configs?.[0]?.api_url_file ?? '';
    const set = production.find(
      (o) => o.kind === 'StatefulSet' && o.metadata.name === 'alertmanager',
    ) as K8sObject;
    const pod = set.spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m: { mountPath: string }) =>
      file.startsWith(`${m.mountPath}/`),
    );
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount?.name);
    const secret = production.find(
      (o) => o.kind === 'ExternalSecret' && o.spec.target.name === volume?.secret?.secretName,
    ) as K8sObject;
    expect(secret.spec.data.map((d: { secretKey: string }) => d.secretKey)).toContain(file.split('/').pop());
    const service = production.find((o) => o.kind === 'Service' && o.metadata.name === 'alertmanager');
    expect(service?.metadata.namespace).toBe('tiketi-monitoring');
  });
});
