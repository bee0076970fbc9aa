import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { environments, REGION } from '../aws/src/environments.ts';
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
    for (const name of [...backendServiceNames, 'web']) {
      expect(deployments.map((d) => d.metadata.name)).toContain(name);
    }
    const statefulSets = ofKind(overlay, 'StatefulSet').filter((s) => s.metadata.namespace === 'tiketi-data');
    expect(statefulSets.map((s) => s.metadata.name).sort()).toEqual([
      'postgres',
      'postgres-replica',
      'rabbitmq',
      'redis',
    ]);
  });

  it('validates every object against the Kubernetes schemas', async () => {
    const problems = (await Promise.all(all(overlay).map(schemaProblems))).flat();
    expect(problems).toEqual([]);
  });

  it('gives every workload probes, requests and limits, and a non-root read-only securityContext', () => {
    const problems: string[] = [];
    for (const w of workloads(overlay)) {
      const pod = podSpecOf(w);
      const where = `${w.kind}/${w.metadata.namespace}/${w.metadata.name}`;
      if (!pod.securityContext?.runAsNonRoot) problems.push(`${where}: pod may run as root`);
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
        problems.push(`${where}: no seccomp profile`);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false)
          problems.push(`${where}/${c.name}: privilege escalation allowed`);
        if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}/${c.name}: writable root filesystem`);
        if (!sc.capabilities?.drop?.includes('ALL'))
          problems.push(`${where}/${c.name}: capabilities not dropped`);
        if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory)
          problems.push(`${where}/${c.name}: no requests`);
        if (!c.resources?.limits?.cpu || !c.resources?.limits?.memory)
          problems.push(`${where}/${c.name}: no limits`);
        const longRunning = w.kind !== 'CronJob' && !(pod.initContainers ?? []).includes(c);
        if (longRunning && (!c.readinessProbe || !c.livenessProbe))
          problems.push(`${where}/${c.name}: no probes`);
      }
    }
    expect(problems).toEqual([]);
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

  it('gives every application Deployment its own ServiceAccount, HPA up to 10 (staging 4) and a PDB', () => {
    const ns = appNamespace[overlay];
    const accounts = ofKind(overlay, 'ServiceAccount')
      .filter((s) => s.metadata.namespace === ns)
      .map((s) => s.metadata.name);
    const hpas = ofKind(overlay, 'HorizontalPodAutoscaler').filter((h) => h.metadata.namespace === ns);
    const pdbs = ofKind(overlay, 'PodDisruptionBudget').filter((p) => p.metadata.namespace === ns);
    for (const d of ofKind(overlay, 'Deployment').filter(
      (o) => o.metadata.namespace === ns && o.metadata.labels?.['tiketi.gg/slot'] === 'blue',
    )) {
      expect(accounts).toContain(d.metadata.name);
      const hpa = hpas.find((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      expect(hpa?.spec.maxReplicas, d.metadata.name).toBe(overlay === 'production' ? 10 : 4);
      expect(
        pdbs.some((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels)),
        d.metadata.name,
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
    expect(group('postgres', 'tiketi-data')).toBe('node.tiketi.gg/data');
    expect(group('prometheus', 'tiketi-monitoring')).toBe('node.tiketi.gg/system');
  });

  it('serves the web app and API over TLS from cert-manager, with long websocket timeouts on /queue', () => {
    const ingresses = ofKind('production', 'Ingress');
    const main = ingresses.find((i) => i.metadata.name === 'tiketi') as K8sObject;
    expect(main.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(main.spec.tls[0].hosts).toEqual(['tiketi.gg', 'api.tiketi.gg']);
    const queue = ingresses.find((i) => i.metadata.name === 'tiketi-queue') as K8sObject;
    expect(queue.spec.rules[0].http.paths[0].path).toBe('/queue');
    expect(
      Number(queue.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout']),
    ).toBeGreaterThanOrEqual(3600);
    const canary = ingresses.find((i) => i.metadata.name === 'tiketi-canary') as K8sObject;
    expect(canary.metadata.annotations?.['nginx.ingress.kubernetes.io/canary-weight']).toBe('0');
    expect(canary.spec.rules.map((r: { host: string }) => r.host)).toEqual(
      main.spec.rules.map((r: { host: string }) => r.host),
    );
    expect(
      all('production').some((o) => o.kind === 'ClusterIssuer' && o.metadata.name === 'letsencrypt'),
    ).toBe(true);
  });

  it('keeps blue/green and canary copies of the critical services idle until a release uses them', () => {
    const deployments = ofKind('production', 'Deployment');
    for (const name of [
      'reservation-green',
      'payment-green',
      'gateway-canary',
      'reservation-canary',
      'payment-canary',
    ]) {
      expect(deployments.find((d) => d.metadata.name === name)?.spec.replicas, name).toBe(0);
    }
    const service = ofKind('production', 'Service').find(
      (s) => s.metadata.name === 'payment' && s.metadata.namespace === 'tiketi-production',
    );
    expect(service?.spec.selector['tiketi.gg/slot']).toBe('blue');
  });
});

describe('ops-k8s staging', () => {
  it('differs from production only where the seed says: namespace, replicas, log level, hosts', () => {
    const config = (overlay: string) =>
      ofKind(overlay, 'ConfigMap').find((c) => c.metadata.name.startsWith('tiketi-config')) as K8sObject & {
        data: Record<string, string>;
      };
    expect(config('staging').data.LOG_LEVEL).toBe('info');
    expect(config('production').data.LOG_LEVEL).toBe('warn');
    expect(config('staging').data.HOST).toBe('0.0.0.0');
    const min = ofKind('staging', 'HorizontalPodAutoscaler').map((h) => h.spec.minReplicas);
    expect(new Set(min)).toEqual(new Set([2]));
    const hosts = ofKind('staging', 'Ingress').flatMap((i) =>
      i.spec.rules.map((r: { host: string }) => r.host),
    );
    expect(hosts.every((h) => h.endsWith('staging.tiketi.gg'))).toBe(true);
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
});

// The overlays against deploy/aws: the same renders, checked for what the AWS stacks expect of them.
/** The Secrets Manager entries (relative to `tiketi/<env>/`) deploy/aws lets a service's role read. */
function readable(service: BackendService): string[] {
  const access = accessOf(service);
  return [
    'redis',
    'rabbitmq',
    'internal-token',
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
