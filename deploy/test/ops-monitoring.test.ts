import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { deployDir, parseYaml } from './manifests.ts';

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

  it('the compose scrape config passes promtool', () => {
    expect(promtool('check', 'config', 'prometheus/prometheus.compose.yml')).toMatch(/SUCCESS/);
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
