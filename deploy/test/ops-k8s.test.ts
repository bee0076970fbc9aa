import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { secretNames } from '../../packages/kit/src/config.ts';
import { databaseUrl } from '../../packages/kit/src/db.ts';
import { configShape as adminConfig } from '../../services/admin/src/config.ts';
import { configShape as analyticsConfig } from '../../services/analytics/src/config.ts';
import { configShape as eventConfig } from '../../services/event/src/config.ts';
import { configShape as gatewayConfig } from '../../services/gateway/src/config.ts';
import { configShape as mediaConfig } from '../../services/media/src/config.ts';
import { configShape as notificationConfig } from '../../services/notification/src/config.ts';
import { configShape as paymentConfig } from '../../services/payment/src/config.ts';
import { configShape as queueConfig } from '../../services/queue/src/config.ts';
import { configShape as reservationConfig } from '../../services/reservation/src/config.ts';
import { configShape as userConfig } from '../../services/user/src/config.ts';
import { environments, REGION, SUBNET_CIDRS } from '../aws/src/environments.ts';
import { accessOf, type BackendService, backendServiceNames } from '../aws/src/services.ts';
import {
  deployDir,
  type K8sObject,
  kustomize,
  matches,
  overlays,
  podSpecOf,
  schemaProblems,
} from './manifests.ts';
import { cidrContains, databaseTlsProblems, dataStatefulSets, workloadProblems } from './policies.ts';

/** Each service's configuration: what it declares as a secret must reach its pods in production. */
const serviceConfigs: Record<string, z.ZodRawShape> = {
  gateway: gatewayConfig,
  user: userConfig,
  event: eventConfig,
  reservation: reservationConfig,
  payment: paymentConfig,
  queue: queueConfig,
  analytics: analyticsConfig,
  admin: adminConfig,
  media: mediaConfig,
  notification: notificationConfig,
};

const rendered: Record<string, K8sObject[]> = {};
const all = (overlay: string): K8sObject[] => rendered[overlay] ?? [];

beforeAll(() => {
  for (const overlay of overlays) rendered[overlay] = kustomize(join(deployDir, 'k8s/overlays', overlay));
});

const appNamespace = { staging: 'tiketi-staging', production: 'tiketi-production' } as const;
const ofKind = (overlay: string, kind: string) => all(overlay).filter((o) => o.kind === kind);
const workloads = (overlay: string) =>
  all(overlay).filter((o) => ['Deployment', 'StatefulSet', 'CronJob'].includes(o.kind));

describe.each(overlays)('ops-k8s overlay %s', (overlay) => {
  it('renders with kustomize into the seed namespaces', () => {
    const namespaces = ofKind(overlay, 'Namespace').map((n) => n.metadata.name);
    expect(namespaces.sort()).toEqual(
      [appNamespace[overlay], 'tiketi-data', 'tiketi-monitoring', 'tiketi-system'].sort(),
    );
    const deployments = ofKind(overlay, 'Deployment').filter(
      (d) => d.metadata.namespace === appNamespace[overlay],
    );
    for (const name of backendServiceNames) {
      expect(deployments.map((d) => d.metadata.name)).toContain(name);
    }
    // The web app is files in S3 behind CloudFront (deploy/aws), not a pod.
    expect(deployments.map((d) => d.metadata.name)).not.toContain('web');
    const statefulSets = ofKind(overlay, 'StatefulSet').filter((s) => s.metadata.namespace === 'tiketi-data');
    expect(statefulSets.map((s) => s.metadata.name)).toEqual(['rabbitmq']);
  });

  it('validates every object against the Kubernetes schemas', async () => {
    const problems = (await Promise.all(all(overlay).map(schemaProblems))).flat();
    expect(problems).toEqual([]);
  });

  it('gives every workload probes, requests and limits, a non-root read-only securityContext and its own ServiceAccount', () => {
    expect(workloads(overlay).length).toBeGreaterThan(20);
    expect(workloadProblems(all(overlay))).toEqual([]);
  });

  it('probes every service on /readyz and /healthz and rolls out with maxSurge 1, maxUnavailable 0', () => {
    for (const d of ofKind(overlay, 'Deployment').filter(
      (o) => o.metadata.namespace === appNamespace[overlay],
    )) {
      const c = d.spec.template.spec.containers[0];
      expect(c.readinessProbe.httpGet.path, d.metadata.name).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path, d.metadata.name).toBe('/healthz');
      expect(d.spec.strategy.rollingUpdate, d.metadata.name).toEqual({ maxSurge: 1, maxUnavailable: 0 });
      expect(d.spec.template.spec.serviceAccountName, d.metadata.name).toBe(
        d.metadata.name.replace(/-(green|canary)$/, ''),
      );
      expect(Object.keys(d.spec.template.spec.nodeSelector ?? {}), d.metadata.name).toHaveLength(1);
    }
  });

  it('selects every Deployment with its own NetworkPolicy behind a default deny', () => {
    const policies = ofKind(overlay, 'NetworkPolicy');
    const problems: string[] = [];
    for (const d of ofKind(overlay, 'Deployment')) {
      const ns = d.metadata.namespace;
      const labels = d.spec.template.metadata.labels;
      const inNs = policies.filter((p) => p.metadata.namespace === ns);
      const deny = inNs.find((p) => p.metadata.name === 'default-deny');
      if (!deny || Object.keys(deny.spec.podSelector).length) problems.push(`${ns}: no default-deny`);
      const own = inNs.filter(
        (p) =>
          Object.keys(p.spec.podSelector.matchLabels ?? {}).length &&
          p.spec.policyTypes.includes('Ingress') &&
          matches(p.spec.podSelector.matchLabels, labels),
      );
      if (!own.length) problems.push(`${ns}/${d.metadata.name}: no NetworkPolicy of its own`);
    }
    expect(problems).toEqual([]);
  });

  it('gives every application Deployment its own ServiceAccount, an HPA up to 10 (staging 4) and a PDB', () => {
    const ns = appNamespace[overlay];
    const accounts = ofKind(overlay, 'ServiceAccount')
      .filter((s) => s.metadata.namespace === ns)
      .map((s) => s.metadata.name);
    const hpas = ofKind(overlay, 'HorizontalPodAutoscaler').filter((h) => h.metadata.namespace === ns);
    const pdbs = ofKind(overlay, 'PodDisruptionBudget').filter((p) => p.metadata.namespace === ns);
    const deployments = ofKind(overlay, 'Deployment').filter((o) => o.metadata.namespace === ns);
    expect(deployments).toHaveLength(backendServiceNames.length);
    for (const d of deployments) {
      expect(accounts).toContain(d.metadata.name);
      const hpa = hpas.find((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      expect(hpa?.spec.maxReplicas, d.metadata.name).toBeLessThanOrEqual(overlay === 'production' ? 10 : 4);
      expect(hpa?.spec.maxReplicas, d.metadata.name).toBeGreaterThan(hpa?.spec.minReplicas);
      expect(
        pdbs.some((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels)),
        d.metadata.name,
      ).toBe(true);
    }
  });

  it('keeps RabbitMQ, Prometheus, Loki and Alertmanager on gp3 volumes, each with a PDB', () => {
    const storageClass = ofKind(overlay, 'StorageClass').find((c) => c.metadata.name === 'gp3') as
      | (K8sObject & { provisioner: string; parameters: Record<string, string> })
      | undefined;
    expect(storageClass?.provisioner).toBe('ebs.csi.aws.com');
    expect(storageClass?.parameters).toMatchObject({ type: 'gp3', encrypted: 'true' });
    const stateful = ofKind(overlay, 'StatefulSet');
    expect(stateful.map((s) => s.metadata.name).sort()).toEqual([
      'alertmanager',
      'loki',
      'prometheus',
      'rabbitmq',
    ]);
    const pdbs = ofKind(overlay, 'PodDisruptionBudget');
    for (const set of stateful) {
      const claims = set.spec.volumeClaimTemplates as { spec: { storageClassName: string } }[];
      expect(
        claims.map((c) => c.spec.storageClassName),
        set.metadata.name,
      ).toEqual(['gp3']);
      expect(
        pdbs.some(
          (p) =>
            p.metadata.namespace === set.metadata.namespace &&
            matches(p.spec.selector.matchLabels, set.spec.template.metadata.labels),
        ),
        set.metadata.name,
      ).toBe(true);
    }
  });

  it('refers only to ConfigMaps and Secrets that exist or are synced by an ExternalSecret', () => {
    const has = (kind: string, ns: string, name: string) =>
      all(overlay).some((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name) ||
      (kind === 'Secret' &&
        all(overlay).some(
          (o) => o.kind === 'ExternalSecret' && o.metadata.namespace === ns && o.spec.target.name === name,
        ));
    const missing: string[] = [];
    for (const w of workloads(overlay)) {
      const pod = podSpecOf(w);
      const ns = w.metadata.namespace ?? '';
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef && !has('ConfigMap', ns, from.configMapRef.name))
            missing.push(`${w.metadata.name}: ConfigMap ${from.configMapRef.name}`);
          if (from.secretRef && !has('Secret', ns, from.secretRef.name))
            missing.push(`${w.metadata.name}: Secret ${from.secretRef.name}`);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref && !ref.optional) {
            const es = all(overlay).find(
              (o) =>
                o.kind === 'ExternalSecret' && o.metadata.namespace === ns && o.spec.target.name === ref.name,
            );
            // With a template, the synced Secret holds exactly the template's keys.
            const templated = es?.spec.target.template?.data;
            const keys = templated
              ? Object.keys(templated)
              : (es?.spec.data ?? []).map((d: { secretKey: string }) => d.secretKey);
            if (!keys.includes(ref.key))
              missing.push(`${w.metadata.name}: secret key ${ref.name}/${ref.key}`);
          }
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.configMap && !has('ConfigMap', ns, v.configMap.name))
          missing.push(`${w.metadata.name}: ConfigMap ${v.configMap.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('runs every service as production and hands each the secrets its configuration demands, from its own Secret', () => {
    const config = ofKind(overlay, 'ConfigMap').find((c) => c.metadata.name.startsWith('tiketi-config'));
    expect((config as { data?: Record<string, string> } | undefined)?.data?.TIKETI_ENV).toBe('production');
    /** The keys of the Secret an ExternalSecret makes: its template's, or its data's without a template. */
    const keysOf = (ns: string | undefined, secret: string): string[] => {
      const es = all(overlay).find(
        (o) => o.kind === 'ExternalSecret' && o.metadata.namespace === ns && o.spec.target.name === secret,
      );
      const templated = es?.spec.target.template?.data;
      return templated
        ? Object.keys(templated)
        : (es?.spec.data ?? []).map((d: { secretKey: string }) => d.secretKey);
    };
    const problems: string[] = [];
    let checked = 0;
    for (const w of workloads(overlay)) {
      for (const c of podSpecOf(w).containers) {
        const service = /tiketi\/([a-z]+):/.exec(c.image)?.[1];
        const shape = service ? serviceConfigs[service] : undefined;
        if (!shape) continue;
        checked++;
        const from = (c.envFrom ?? []) as { configMapRef?: { name: string }; secretRef?: { name: string } }[];
        if (!from.some((f) => f.configMapRef?.name === config?.metadata.name))
          problems.push(`${w.metadata.name}: does not read ${config?.metadata.name}`);
        // Services take their whole Secret (envFrom); Jobs may name single keys of it (secretKeyRef).
        const whole = from.flatMap((f) => (f.secretRef ? [f.secretRef.name] : []));
        const env = (c.env ?? []) as { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
        const single = env.filter((e) => e.valueFrom?.secretKeyRef);
        const secretsRead = [...whole, ...single.map((e) => e.valueFrom?.secretKeyRef?.name)];
        if (secretsRead.some((name) => name !== `${service}-secrets`))
          problems.push(`${w.metadata.name}: reads secrets other than ${service}-secrets`);
        const given = whole.length
          ? keysOf(w.metadata.namespace, `${service}-secrets`)
          : single.map((e) => e.name);
        for (const name of secretNames(shape)) {
          if (!given.includes(name)) problems.push(`${w.metadata.name}: ${name} not in ${service}-secrets`);
        }
        if (!secretNames(shape).includes('INTERNAL_TOKEN') && given.includes('INTERNAL_TOKEN'))
          problems.push(`${w.metadata.name}: holds INTERNAL_TOKEN it never uses`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(Object.keys(serviceConfigs).length);
    expect(problems).toEqual([]);
  });

  it("trusts X-Forwarded-For at the gateway from the load balancer's subnets only, and at the services from the pods'", () => {
    const config = ofKind(overlay, 'ConfigMap').find((c) => c.metadata.name.startsWith('tiketi-config')) as
      | (K8sObject & { data: Record<string, string> })
      | undefined;
    const gateway = ofKind(overlay, 'Deployment').find(
      (d) => d.metadata.name === 'gateway' && d.metadata.namespace === appNamespace[overlay],
    ) as K8sObject;
    const env = gateway.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    const trusted = env.find((e) => e.name === 'TRUSTED_PROXIES')?.value?.split(',');
    // The API load balancer lives in the public subnets (deploy/aws) and preserves CloudFront's header.
    expect(trusted).toEqual([0, 1, 2].map(SUBNET_CIDRS.public));
    expect(config?.data.TRUSTED_PROXIES?.split(',')).toEqual([0, 1, 2].map(SUBNET_CIDRS.private));
  });
});

describe('ops-k8s production', () => {
  it('pins every image to a version tag, never latest, from the ECR registry for our own', () => {
    const images = workloads('production').flatMap((w) =>
      [...(podSpecOf(w).initContainers ?? []), ...podSpecOf(w).containers].map(
        (c: { image: string }) => c.image,
      ),
    );
    for (const image of images) {
      const tag = image.includes('@') ? 'digest' : image.split('/').pop()?.split(':')[1];
      expect(tag, image).toBeTruthy();
      expect(tag, image).not.toBe('latest');
      if (/\/tiketi\//.test(image) || image.startsWith('tiketi/'))
        expect(image).toMatch(/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/tiketi\//);
    }
  });

  it('runs the seed replica counts and keeps the seed node groups apart', () => {
    const ns = 'tiketi-production';
    const replicas = Object.fromEntries(
      ofKind('production', 'HorizontalPodAutoscaler')
        .filter((h) => h.metadata.namespace === ns)
        .map((h) => [h.metadata.name, h.spec.minReplicas]),
    );
    expect(replicas).toMatchObject({
      user: 3,
      event: 3,
      reservation: 3,
      payment: 3,
      queue: 2,
      analytics: 2,
      admin: 2,
      media: 2,
    });
    const group = (name: string, namespace: string) => {
      const w = workloads('production').find(
        (o) => o.metadata.name === name && o.metadata.namespace === namespace,
      );
      return Object.keys(podSpecOf(w as K8sObject).nodeSelector ?? {})[0];
    };
    expect(group('reservation', ns)).toBe('node.tiketi.gg/application');
    expect(group('queue', ns)).toBe('node.tiketi.gg/stateful');
    expect(group('rabbitmq', 'tiketi-data')).toBe('node.tiketi.gg/system');
    expect(group('prometheus', 'tiketi-monitoring')).toBe('node.tiketi.gg/system');
  });

  it("reaches the gateway from the AWS stack's load balancer through a TargetGroupBinding, with no ingress controller", () => {
    const objects = all('production');
    expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
    const bindings = objects.filter((o) => o.kind === 'TargetGroupBinding');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]?.metadata.namespace).toBe('tiketi-production');
    expect(bindings[0]?.spec).toMatchObject({
      targetType: 'ip',
      serviceRef: { name: 'gateway', port: 3001 },
      targetGroupARN: expect.stringMatching(
        /^arn:aws:elasticloadbalancing:ap-northeast-2:\d{12}:targetgroup\/tiketi-production-api\//,
      ),
    });
  });

  it('releases gateway (canary), reservation and payment (blue/green) with Argo Rollouts, scaled by their HPAs', () => {
    const ns = 'tiketi-production';
    const objects = all('production').filter((o) => o.metadata.namespace === ns);
    const rollouts = objects.filter((o) => o.kind === 'Rollout');
    expect(rollouts.map((r) => r.metadata.name).sort()).toEqual(['gateway', 'payment', 'reservation']);
    for (const rollout of rollouts) {
      const name = rollout.metadata.name;
      // The Deployment is the pod's declaration only; the Rollout runs the pods.
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
      expect(deployment?.spec.replicas, name).toBe(0);
      expect(rollout.spec.workloadRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name);
      expect(hpa?.spec.scaleTargetRef, name).toEqual({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        name,
      });
      const strategy = rollout.spec.strategy;
      const analysis = strategy.canary?.analysis ?? strategy.blueGreen?.postPromotionAnalysis;
      expect(analysis?.templates, name).toEqual([{ templateName: 'service-health' }]);
      if (strategy.blueGreen) {
        expect(strategy.blueGreen.activeService).toBe(name);
        expect(
          objects.some((o) => o.kind === 'Service' && o.metadata.name === strategy.blueGreen.previewService),
        ).toBe(true);
        // The old colour stays up while the analysis runs, so aborting switches back to warm pods.
        expect(strategy.blueGreen.scaleDownDelaySeconds).toBeGreaterThanOrEqual(300);
      }
    }
    expect(
      rollouts.find((r) => r.metadata.name === 'gateway')?.spec.strategy.canary.canaryMetadata.labels,
    ).toEqual({
      'tiketi.gg/track': 'canary',
    });
  });

  it('judges a release by the RED metrics the kit exports, by the label Prometheus gives canary pods', () => {
    const template = all('production').find(
      (o) => o.kind === 'AnalysisTemplate' && o.metadata.name === 'service-health',
    ) as K8sObject;
    const queries = (
      template.spec.metrics as {
        name: string;
        provider: { prometheus: { query: string; address: string } };
      }[]
    ).map((m) => m.provider.prometheus);
    const kitMetrics = readFileSync(join(deployDir, '../packages/kit/src/metrics.ts'), 'utf8');
    const names = new Set(queries.flatMap((q) => q.query.match(/\b[a-z_]+(?=\{)/g) ?? []));
    expect([...names].sort()).toEqual([
      'http_request_duration_seconds_bucket',
      'http_request_errors_total',
      'http_requests_total',
    ]);
    for (const name of names) expect(kitMetrics).toContain(`name: '${name.replace(/_bucket$/, '')}'`);
    for (const q of queries) expect(q.address).toBe('http://prometheus.tiketi-monitoring.svc:9090');
    const scrape = readFileSync(join(deployDir, 'monitoring/prometheus/prometheus.yml'), 'utf8');
    expect(scrape).toContain('__meta_kubernetes_pod_label_tiketi_gg_track');
  });

  it("computes a canary's error rate and p95 as its success conditions expect (promtool on the real queries)", () => {
    const template = all('production').find(
      (o) => o.kind === 'AnalysisTemplate' && o.metadata.name === 'service-health',
    ) as K8sObject;
    const query = (metric: string) =>
      (template.spec.metrics as { name: string; provider: { prometheus: { query: string } } }[]).find(
        (m) => m.name === metric,
      )?.provider.prometheus.query ?? '';
    const forService = (metric: string, service: string) =>
      query(metric).replaceAll('{{args.service}}', service).replaceAll('{{args.track}}', 'canary');
    const labels = (service: string, track: string, extra = '') =>
      `{service="${service}",track="${track}",method="GET",route="/api/x"${extra}}`;
    // Per minute: the canary answers 100 requests, 3 of them 5xx, all within 250 ms; the stable pods
    // answer 1000 without an error; "quiet" has no traffic at all.
    const series = [
      { series: `http_requests_total${labels('gateway', 'canary', ',status="200"')}`, values: '0+97x10' },
      { series: `http_requests_total${labels('gateway', 'canary', ',status="500"')}`, values: '0+3x10' },
      {
        series: `http_request_errors_total${labels('gateway', 'canary', ',status="500"')}`,
        values: '0+3x10',
      },
      { series: `http_requests_total${labels('gateway', 'stable', ',status="200"')}`, values: '0+1000x10' },
      ...['0.1', '0.25', '+Inf'].map((le) => ({
        series: `http_request_duration_seconds_bucket${labels('gateway', 'canary', `,le="${le}"`)}`,
        values: le === '0.1' ? '0+50x10' : '0+100x10',
      })),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'ops-analysis-'));
    try {
      writeFileSync(join(dir, 'none.rules.yml'), 'groups: []\n');
      const at = (expr: string, value: number) => ({
        expr,
        eval_time: '10m',
        exp_samples: [{ labels: '{}', value }],
      });
      writeFileSync(
        join(dir, 'analysis.test.yml'),
        stringify({
          rule_files: ['none.rules.yml'],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: series,
              promql_expr_test: [
                // 3 % fails `result[0] <= 0.01`; the stable pods' clean traffic does not dilute it.
                at(forService('error-rate', 'gateway'), 0.03),
                // p95 within the 0.1–0.25 s bucket passes `result[0] <= 0.5`.
                at(`(${forService('p95-latency', 'gateway')}) < bool 0.5`, 1),
                // No traffic counts as healthy rather than as missing data.
                at(forService('error-rate', 'quiet'), 0),
                at(forService('p95-latency', 'quiet'), 0),
              ],
            },
          ],
        }),
      );
      const out = execFileSync('promtool', ['test', 'rules', 'analysis.test.yml'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(out).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ops-k8s staging', () => {
  it('differs from production where staging is smaller: namespace, replicas, CPU requests, pools, log level, names', () => {
    const config = (overlay: string) =>
      ofKind(overlay, 'ConfigMap').find((c) => c.metadata.name.startsWith('tiketi-config')) as K8sObject & {
        data: Record<string, string>;
      };
    expect(config('staging').data.LOG_LEVEL).toBe('info');
    expect(config('production').data.LOG_LEVEL).toBe('warn');
    expect(config('staging').data.HOST).toBe('0.0.0.0');
    const min = ofKind('staging', 'HorizontalPodAutoscaler').map((h) => h.spec.minReplicas);
    expect(new Set(min)).toEqual(new Set([2]));
    expect(config('staging').data.WEB_ORIGIN).toBe('https://staging.tiketi.gg');
    expect(Number(config('staging').data.DATABASE_POOL_SIZE)).toBeLessThan(
      Number(config('production').data.DATABASE_POOL_SIZE),
    );
    const binding = ofKind('staging', 'TargetGroupBinding')[0];
    expect(binding?.spec.targetGroupARN).toContain(':targetgroup/tiketi-staging-api/');
  });
});

describe('ops-k8s schema check', () => {
  it('reports an object that breaks its schema', async () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: {
        selector: {},
        template: { spec: { containers: [{ name: 'x', image: 'y', ports: [{ containerPort: 'http' }] }] } },
      },
    };
    expect((await schemaProblems(broken)).join()).toMatch(/Deployment\/broken/);
    expect(
      await schemaProblems({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' } }),
    ).toEqual(['Thing/t: no schema for apiVersion example.com/v1']);
  });

  it('rejects a misspelt field in a built-in kind, where the schema alone would let it through', async () => {
    const typo = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'typo', labels: { any: 'label' } },
      spec: {
        replicass: 2,
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: {
            containers: [
              { name: 'x', image: 'y', readinessprobe: { httpGet: { path: '/readyz', port: 80 } } },
            ],
          },
        },
      },
    };
    expect(await schemaProblems(typo)).toEqual([
      'Deployment/typo: unknown field spec.replicass',
      'Deployment/typo: unknown field spec.template.spec.containers.0.readinessprobe',
    ]);
    const fixed = structuredClone(typo) as typeof typo & { spec: { replicas?: number } };
    delete (fixed.spec as { replicass?: number }).replicass;
    fixed.spec.replicas = 2;
    const container = fixed.spec.template.spec.containers[0] as Record<string, unknown>;
    container.readinessProbe = container.readinessprobe;
    delete container.readinessprobe;
    expect(await schemaProblems(fixed)).toEqual([]);
  });

  it('rejects misspelt fields in the CRDs: ExternalSecret, Rollout, AnalysisTemplate, TargetGroupBinding', async () => {
    const cases: [K8sObject, string][] = [
      [
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: 'es' },
          spec: { secretStoreRef: { name: 's', kind: 'SecretStore' }, target: { nmae: 'x' } },
        },
        'ExternalSecret/es: unknown field spec.target.nmae',
      ],
      [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          metadata: { name: 'r' },
          spec: {
            workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'r' },
            strategy: { canary: { stpes: [{ setWeight: 10 }] } },
          },
        },
        'Rollout/r: unknown field spec.strategy.canary.stpes',
      ],
      [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AnalysisTemplate',
          metadata: { name: 'a' },
          spec: {
            metrics: [
              {
                name: 'm',
                successCondition: 'result[0] < 1',
                provider: { prometheus: { adress: 'http://p', query: 'up' } },
              },
            ],
          },
        },
        'AnalysisTemplate/a: unknown field spec.metrics.0.provider.prometheus.adress',
      ],
      [
        {
          apiVersion: 'elbv2.k8s.aws/v1beta1',
          kind: 'TargetGroupBinding',
          metadata: { name: 't' },
          spec: { targetGroupARN: 'arn', targetType: 'ip', serviceRef: { name: 'g', port: 80, prot: 1 } },
        },
        'TargetGroupBinding/t: /spec/serviceRef must NOT have additional properties',
      ],
    ];
    for (const [object, problem] of cases) expect(await schemaProblems(object)).toEqual([problem]);
  });
});

// The overlays against deploy/aws: the same renders, checked for what the AWS stacks expect of them.
/** The Secrets Manager entries (relative to `tiketi/<env>/`) deploy/aws lets a service's role read. */
function readable(service: BackendService): string[] {
  const access = accessOf(service);
  return [
    'redis',
    'rabbitmq',
    ...(access.database ? [`database/${service}`] : []),
    ...(access.secrets ?? []),
  ];
}

describe.each(overlays)('obs-aws the %s overlay against the AWS stack', (overlay) => {
  const config = environments[overlay];
  const inApp = (kind: string) =>
    all(overlay).filter((o) => o.kind === kind && o.metadata.namespace === config.appNamespace);

  it("renders into the stack's application namespace", () => {
    expect(inApp('Deployment').length).toBeGreaterThan(0);
  });

  it('annotates every service account with the IAM role deploy/aws made for it (tiketi-<env>-<service>)', () => {
    const accounts = new Map(inApp('ServiceAccount').map((a) => [a.metadata.name, a]));
    for (const service of backendServiceNames) {
      expect(accounts.get(service)?.metadata.annotations?.['eks.amazonaws.com/role-arn'], service).toMatch(
        new RegExp(`^arn:aws:iam::\\d{12}:role/tiketi-${config.name}-${service}$`),
      );
    }
    // The web app is static files on CloudFront: its pod gets no AWS role.
    expect(accounts.get('web')?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBeUndefined();
  });

  it("gives each service a SecretStore of its own that signs in as the service's own account", () => {
    const stores = inApp('SecretStore');
    expect(stores.map((s) => s.metadata.name).sort()).toEqual([...backendServiceNames].sort());
    for (const store of stores) {
      expect(store.spec.provider.aws).toEqual({
        service: 'SecretsManager',
        region: REGION,
        prefix: `tiketi/${config.name}/`,
        auth: { jwt: { serviceAccountRef: { name: store.metadata.name } } },
      });
    }
    expect(inApp('ExternalSecret').every((e) => e.spec.secretStoreRef.kind === 'SecretStore')).toBe(true);
  });

  it("reads only the Secrets Manager entries the service's IAM role may read", () => {
    const problems: string[] = [];
    for (const es of inApp('ExternalSecret')) {
      const service = es.spec.secretStoreRef.name as BackendService;
      const allowed = readable(service);
      for (const d of es.spec.data as { remoteRef: { key: string } }[]) {
        if (!allowed.includes(d.remoteRef.key)) problems.push(`${service} reads ${d.remoteRef.key}`);
      }
    }
    expect(problems).toEqual([]);
    const keysOf = (service: string) =>
      new Set(
        inApp('ExternalSecret')
          .find((e) => e.metadata.name === service)
          ?.spec.data.map((d: { remoteRef: { key: string } }) => d.remoteRef.key),
      );
    // The examples of deploy/aws's tests, seen from the cluster side.
    expect(keysOf('media').has('database/user')).toBe(false);
    expect(keysOf('payment').has('toss')).toBe(true);
    expect(keysOf('gateway').has('toss')).toBe(false);
  });

  it("mounts into every workload only its own service's secret", () => {
    const problems: string[] = [];
    const workloads = all(overlay).filter(
      (o) => ['Deployment', 'CronJob'].includes(o.kind) && o.metadata.namespace === config.appNamespace,
    );
    for (const w of workloads) {
      const pod = podSpecOf(w);
      for (const c of pod.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef?.name;
          if (ref && ref !== `${pod.serviceAccountName}-secrets`)
            problems.push(`${w.metadata.name} reads ${ref}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('carries the stack outputs the manifests need: the Redis endpoint and the media bucket', () => {
    for (const es of inApp('ExternalSecret')) {
      expect(es.spec.target.template.data.REDIS_URL, es.metadata.name).toMatch(
        new RegExp(
          `^rediss://:\\{\\{ \\.redis_token \\}\\}@[a-z0-9.-]*tiketi-${config.name}[a-z0-9.-]*:6379$`,
        ),
      );
    }
    const settings = inApp('ConfigMap').find((c) =>
      c.metadata.name.startsWith('tiketi-config'),
    ) as K8sObject & {
      data: Record<string, string>;
    };
    expect(settings.data.S3_BUCKET).toBe(`tiketi-${config.name}-media`);
    expect(settings.data.S3_REGION).toBe(REGION);
  });
});

describe.each(overlays)('obs-aws the %s overlay on RDS and ElastiCache', (overlay) => {
  const config = environments[overlay];
  const caBundle = join(deployDir, 'k8s/components/rds-ca/ap-northeast-2-bundle.pem');
  const inApp = (kind: string) =>
    all(overlay).filter((o) => o.kind === kind && o.metadata.namespace === config.appNamespace);

  it('runs no PostgreSQL or Redis StatefulSet, only RabbitMQ for which deploy/aws has no managed broker', () => {
    expect(dataStatefulSets(all(overlay))).toEqual([]);
    expect(
      ofKind(overlay, 'StatefulSet')
        .filter((s) => s.metadata.namespace === config.dataNamespace)
        .map((s) => s.metadata.name),
    ).toEqual(['rabbitmq']);
  });

  it('connects to PostgreSQL only with sslmode=verify-full and the RDS CAs mounted in every pod that does', () => {
    const { checked, problems } = databaseTlsProblems(all(overlay));
    // One URL per database-owning service (deploy/aws gives each its own login).
    expect(checked).toBe(backendServiceNames.filter((s) => accessOf(s).database).length);
    expect(problems).toEqual([]);
  });

  it('hands pg a TLS setup that checks the certificate chain against the RDS CAs and the host name', () => {
    const url = inApp('ExternalSecret').find((e) => e.metadata.name === 'reservation')?.spec.target.template
      .data.DATABASE_URL as string;
    const filled = url
      .replace('{{ .db_username }}', 'tiketi_reservation')
      .replace('{{ .db_password }}', 'secret')
      .replace('{{ .db_host }}', `tiketi-${config.name}.abcdefghijkl.${REGION}.rds.amazonaws.com`)
      .replace('{{ .db_port }}', '5432')
      .replace(/sslrootcert=[^&]+/, `sslrootcert=${caBundle}`);
    // createDb hands the URL, with the service's database put in by databaseUrl, to pg as connectionString.
    const client = new pg.Client({ connectionString: databaseUrl(filled, 'reservations_db') });
    const ssl = (client as unknown as { ssl: { ca?: string; rejectUnauthorized?: boolean } | boolean }).ssl;
    expect(typeof ssl).toBe('object');
    if (typeof ssl !== 'object') return;
    expect(ssl.ca).toBe(readFileSync(caBundle, 'utf8'));
    expect(ssl.rejectUnauthorized).not.toBe(false);
    expect(client.host).toBe(`tiketi-${config.name}.abcdefghijkl.${REGION}.rds.amazonaws.com`);
    expect(client.database).toBe('reservations_db');
  });

  it("mounts RDS root CAs of the stack's region that are valid today", () => {
    const configMap = inApp('ConfigMap').find((c) => c.metadata.name.startsWith('rds-ca')) as K8sObject & {
      data: Record<string, string>;
    };
    const pem = configMap.data['ap-northeast-2-bundle.pem'] ?? '';
    const certificates = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    expect(certificates.length).toBeGreaterThan(0);
    for (const text of certificates) {
      const certificate = new X509Certificate(text);
      expect(certificate.subject).toContain(`CN=Amazon RDS ${REGION} Root CA`);
      expect(certificate.verify(certificate.publicKey), certificate.subject).toBe(true);
      expect(new Date(certificate.validTo).getTime(), certificate.subject).toBeGreaterThan(Date.now());
    }
  });

  it('reaches PostgreSQL and Redis in the data subnets only, and nothing in tiketi-data but RabbitMQ', () => {
    const baseline = inApp('NetworkPolicy').find((p) => p.metadata.name === 'allow-egress-baseline');
    type Rule = {
      to: {
        ipBlock?: { cidr: string };
        namespaceSelector?: unknown;
        podSelector?: { matchLabels?: object };
      }[];
      ports?: { port: number }[];
    };
    const rules = (baseline?.spec.egress ?? []) as Rule[];
    const reaching = (port: number) => rules.filter((r) => r.ports?.some((p) => p.port === port));
    const dataSubnets = config.availabilityZones.map((_, i) => SUBNET_CIDRS.data(i));
    const podSubnets = config.availabilityZones.map((_, i) => SUBNET_CIDRS.private(i));
    for (const port of [5432, 6379]) {
      const peers = reaching(port).flatMap((r) => r.to);
      expect(peers.length, `port ${port}`).toBeGreaterThan(0);
      for (const peer of peers) {
        expect(peer.ipBlock, `port ${port}: ${JSON.stringify(peer)}`).toBeDefined();
        const cidr = peer.ipBlock?.cidr ?? '';
        expect(
          podSubnets.some((subnet) => cidrContains(cidr, subnet)),
          cidr,
        ).toBe(false);
      }
      for (const subnet of dataSubnets) {
        expect(
          peers.some((peer) => cidrContains(peer.ipBlock?.cidr ?? '', subnet)),
          subnet,
        ).toBe(true);
      }
    }
    const intoData = rules.flatMap((r) => r.to).filter((peer) => peer.namespaceSelector);
    expect(intoData.map((peer) => peer.podSelector?.matchLabels)).toContainEqual({
      'app.kubernetes.io/name': 'rabbitmq',
    });
    expect(intoData.every((peer) => peer.podSelector?.matchLabels)).toBe(true);
  });

  it("lets RabbitMQ read its user as the account deploy/aws's rabbitmq role trusts", () => {
    const inData = (kind: string) =>
      all(overlay).filter((o) => o.kind === kind && o.metadata.namespace === config.dataNamespace);
    const account = inData('ServiceAccount').find((a) => a.metadata.name === 'rabbitmq');
    expect(account?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(
      new RegExp(`^arn:aws:iam::\\d{12}:role/tiketi-${config.name}-rabbitmq$`),
    );
    const store = inData('SecretStore').find((s) => s.metadata.name === 'rabbitmq');
    expect(store?.spec.provider.aws).toEqual({
      service: 'SecretsManager',
      region: REGION,
      prefix: `tiketi/${config.name}/`,
      auth: { jwt: { serviceAccountRef: { name: 'rabbitmq' } } },
    });
    const secret = inData('ExternalSecret').find((e) => e.spec.secretStoreRef.name === 'rabbitmq');
    expect(secret?.spec.data.map((d: { remoteRef: { key: string } }) => d.remoteRef.key)).toEqual([
      'rabbitmq',
      'rabbitmq',
    ]);
  });

  it("lets monitoring read Grafana's password, the on-call webhook, the exporters' logins and the scrape token as its own role", () => {
    const inMonitoring = (kind: string) =>
      all(overlay).filter((o) => o.kind === kind && o.metadata.namespace === 'tiketi-monitoring');
    const account = inMonitoring('ServiceAccount').find((a) => a.metadata.name === 'monitoring-secrets');
    expect(account?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(
      new RegExp(`^arn:aws:iam::\\d{12}:role/tiketi-${config.name}-monitoring$`),
    );
    const stores = inMonitoring('SecretStore');
    expect(stores.map((s) => s.spec.provider.aws)).toEqual([
      {
        service: 'SecretsManager',
        region: REGION,
        prefix: `tiketi/${config.name}/`,
        auth: { jwt: { serviceAccountRef: { name: 'monitoring-secrets' } } },
      },
    ]);
    // What deploy/aws grants tiketi-<env>-monitoring (front-door.test.ts checks the role's side).
    const keys = inMonitoring('ExternalSecret').flatMap((e) => [
      ...(e.spec.data ?? []).map((d: { remoteRef: { key: string } }) => d.remoteRef.key),
      ...(e.spec.dataFrom ?? []).map((d: { extract: { key: string } }) => d.extract.key),
    ]);
    expect([...new Set(keys)].sort()).toEqual([
      'alerting',
      'database/monitoring',
      'grafana',
      'ops-token',
      'redis',
    ]);
    for (const e of inMonitoring('ExternalSecret')) expect(e.spec.secretStoreRef.name).toBe('monitoring');
  });
});

describe('ops-k8s policies', () => {
  const deployment = (pod: object): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'thing', namespace: 'ns' },
    spec: { template: { metadata: { labels: { 'app.kubernetes.io/name': 'thing' } }, spec: pod } },
  });
  const account = (name: string): K8sObject => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: 'ns' },
  });

  it('reports a Deployment without probes, limits, securityContext or a ServiceAccount of its own', () => {
    const bare = deployment({ containers: [{ name: 'app', image: 'thing:1' }] });
    const problems = workloadProblems([bare]).join('\n');
    for (const expected of [
      'pod may run as root',
      'no seccomp profile',
      'runs as the default ServiceAccount',
      'privilege escalation allowed',
      'writable root filesystem',
      'capabilities not dropped',
      'no requests',
      'no limits',
      'no probes',
    ]) {
      expect(problems).toContain(expected);
    }
    const missing = deployment({ serviceAccountName: 'ghost', containers: [] });
    expect(workloadProblems([missing])).toContain('Deployment/ns/thing: ServiceAccount ghost does not exist');
    const other = deployment({ serviceAccountName: 'thing', containers: [] });
    other.metadata.name = 'other';
    other.spec.template.metadata.labels['app.kubernetes.io/name'] = 'other';
    const own = deployment({ serviceAccountName: 'thing', containers: [] });
    expect(workloadProblems([own, other, account('thing')]).join('\n')).toContain(
      'ServiceAccount ns/thing is shared by other, thing',
    );
  });

  it('reports a StatefulSet running PostgreSQL or Redis, by image or by port', () => {
    const statefulSet = (name: string, container: object): K8sObject => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace: 'data' },
      spec: { template: { spec: { containers: [container] } } },
    });
    expect(
      dataStatefulSets([
        statefulSet('pg', { name: 'db', image: 'postgres:17.6-bookworm' }),
        statefulSet('cache', { name: 'kv', image: 'docker.io/library/redis:7.4' }),
        statefulSet('custom', { name: 'db', image: 'example/store:1', ports: [{ containerPort: 5432 }] }),
        statefulSet('bus', {
          name: 'mq',
          image: 'rabbitmq:4.1.4-management',
          ports: [{ containerPort: 5672 }],
        }),
      ]),
    ).toEqual(['StatefulSet/data/pg', 'StatefulSet/data/cache', 'StatefulSet/data/custom']);
  });

  it('reports a DATABASE_URL that does not verify the server, and a CA file no pod mounts', () => {
    const externalSecret = (url: string): K8sObject => ({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'thing', namespace: 'ns' },
      spec: { target: { name: 'thing-secrets', template: { data: { DATABASE_URL: url } } } },
    });
    const reader = deployment({
      containers: [
        {
          name: 'app',
          env: [
            {
              name: 'DATABASE_URL',
              valueFrom: { secretKeyRef: { name: 'thing-secrets', key: 'DATABASE_URL' } },
            },
          ],
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    });
    expect(databaseTlsProblems([externalSecret('postgres://h/postgres?sslmode=no-verify')]).problems).toEqual(
      [
        'ExternalSecret/ns/thing: DATABASE_URL has sslmode=no-verify, not verify-full',
        'ExternalSecret/ns/thing: DATABASE_URL names no CA file (sslrootcert)',
      ],
    );
    expect(databaseTlsProblems([externalSecret('postgres://h/postgres')]).problems[0]).toContain(
      'sslmode=(none)',
    );
    const verifying = externalSecret(
      'postgres://h/postgres?sslmode=verify-full&sslrootcert=/etc/ca/bundle.pem',
    );
    expect(databaseTlsProblems([verifying, reader]).problems).toEqual([
      'Deployment/ns/thing/app: /etc/ca/bundle.pem is not mounted from a ConfigMap',
    ]);
  });

  it('tells whether one IPv4 range holds another', () => {
    expect(cidrContains('10.0.20.0/22', '10.0.22.0/24')).toBe(true);
    expect(cidrContains('10.0.20.0/22', '10.0.24.0/24')).toBe(false);
    expect(cidrContains('10.0.20.0/22', '10.0.10.0/24')).toBe(false);
    expect(cidrContains('10.0.0.0/16', '10.0.20.0/22')).toBe(true);
  });
});
