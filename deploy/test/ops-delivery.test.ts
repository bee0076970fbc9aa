import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendServiceNames } from '../aws/src/services.ts';
import { deployDir, parseYaml, repoDir } from './manifests.ts';

const services = backendServiceNames;
const readYaml = <T>(path: string) => parseYaml(readFileSync(path, 'utf8'))[0] as T;

type ComposeService = {
  build?: { dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  healthcheck?: unknown;
  profiles?: string[];
  read_only?: boolean;
};

describe('ops-delivery compose', () => {
  const compose = readYaml<{ services: Record<string, ComposeService> }>(
    join(deployDir, 'compose/compose.yaml'),
  );

  it('runs the seed development environment: data stores, every service and the web app', () => {
    for (const name of ['postgres', 'redis', 'rabbitmq', ...services, 'web'])
      expect(compose.services).toHaveProperty(name);
  });

  it('builds each service from the one Dockerfile with its name, listening on 0.0.0.0 on a read-only root', () => {
    for (const name of services) {
      const s = compose.services[name] ?? {};
      expect(s.build?.dockerfile).toBe('deploy/docker/service.Dockerfile');
      expect(s.build?.args?.SERVICE).toBe(name);
      expect(s.environment?.HOST).toBe('0.0.0.0');
      expect(s.read_only).toBe(true);
    }
  });

  it('keeps the monitoring stack behind an optional profile', () => {
    for (const name of ['prometheus', 'grafana', 'loki', 'alloy', 'jaeger']) {
      expect(compose.services[name]?.profiles).toEqual(['monitoring']);
    }
  });
});

describe('ops-delivery images', () => {
  const dockerfile = readFileSync(join(deployDir, 'docker/service.Dockerfile'), 'utf8');

  it('builds services in stages on Node 24 and runs them as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:24/);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/--omit=dev/);
    expect(dockerfile).toMatch(/^CMD \["node", "src\/main.ts"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it('serves the web app from an unprivileged nginx on port 3000', () => {
    const web = readFileSync(join(deployDir, 'docker/web.Dockerfile'), 'utf8');
    expect(web).toMatch(/nginx-unprivileged/);
    expect(web).toMatch(/^ENV PORT=3000/m);
    expect(readFileSync(join(deployDir, 'docker/web/nginx.conf.template'), 'utf8')).toMatch(
      /listen \$\{PORT\};/,
    );
  });
});

type Workflow = {
  on: { push?: { paths?: string[] } };
  jobs: Record<
    string,
    {
      uses?: string;
      with?: Record<string, unknown>;
      environment?: string;
      needs?: string | string[];
      steps?: { run?: string; uses?: string }[];
    }
  >;
};

describe('ops-delivery workflows', () => {
  const dir = join(repoDir, '.github/workflows');

  it('has one path-triggered pipeline per service, calling the shared build-test-push-rollout pipeline', () => {
    const files = readdirSync(dir);
    for (const name of services) {
      expect(files).toContain(`deploy-${name}.yml`);
      const wf = readYaml<Workflow>(join(dir, `deploy-${name}.yml`));
      expect(wf.on.push?.paths).toContain(`services/${name}/**`);
      expect(wf.jobs.pipeline?.uses).toBe('./.github/workflows/service-pipeline.yml');
      expect(wf.jobs.pipeline?.with?.service).toBe(name);
    }
  });

  it("publishes the web build to each environment's bucket, without source maps, and invalidates CloudFront", () => {
    const wf = readYaml<Workflow>(join(dir, 'deploy-web.yml'));
    expect(wf.on.push?.paths).toContain('apps/web/**');
    const build = wf.jobs.build?.steps ?? [];
    expect(build.some((s) => s.run === 'npm run build -w apps/web')).toBe(true);
    for (const [job, environment] of [
      ['publish-staging', 'staging'],
      ['publish-production', 'production'],
    ] as const) {
      expect(wf.jobs[job]?.environment).toBe(environment);
      const run = (wf.jobs[job]?.steps ?? []).map((s) => s.run ?? '').join('\n');
      expect(run).toMatch(/aws s3 sync dist "s3:\/\/\$\{\{ vars\.WEB_BUCKET \}\}"/);
      expect(run).toContain('--exclude "*.map"');
      expect(run).toMatch(
        /aws cloudfront create-invalidation --distribution-id "\$\{\{ vars\.WEB_DISTRIBUTION_ID \}\}"/,
      );
    }
    // Production publishes only after staging did, and behind the environment's reviewers.
    expect(wf.jobs['publish-production']?.needs).toBe('publish-staging');
  });

  it('pins every action to a commit, not a tag anyone can move', () => {
    const unpinned: string[] = [];
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const [, ref] of text.matchAll(/uses:\s*([^\s#]+)/g)) {
        if (ref?.startsWith('./')) continue;
        if (!/@[0-9a-f]{40}$/.test(ref ?? '')) unpinned.push(`${file}: ${ref}`);
      }
    }
    expect(unpinned).toEqual([]);
  });

  it("the pipeline tests, pushes to ECR and rolls out with kubectl set image, waiting for Argo Rollouts' verdict", () => {
    const pipeline = readFileSync(join(dir, 'service-pipeline.yml'), 'utf8');
    expect(pipeline).toMatch(/amazon-ecr-login/);
    expect(pipeline).toMatch(/deploy\/k8s\/scripts\/rollout\.sh tiketi-staging/);
    expect(pipeline).toMatch(/deploy\/k8s\/scripts\/rollout\.sh tiketi-production/);
    const rollout = readFileSync(join(deployDir, 'k8s/scripts/rollout.sh'), 'utf8');
    expect(rollout).toMatch(/kubectl -n "\$ns" set image "deployment\/\$service"/);
    expect(rollout).toMatch(/rollout status/);
    expect(rollout).toMatch(/rollout\.argoproj\.io\/\$service/);
    expect(rollout).toMatch(/Degraded\) .*exit 1/);
  });

  it('the project-wide workflow runs .ci/run', () => {
    const ci = readYaml<Workflow>(join(dir, 'ci.yml'));
    expect(ci.jobs.test?.steps?.some((s) => s.run?.includes('bash .ci/run'))).toBe(true);
  });

  it('the rollout script is valid bash, and the only one: blue/green and canary are Argo Rollouts', () => {
    expect(readdirSync(join(deployDir, 'k8s/scripts'))).toEqual(['rollout.sh']);
    expect(() => execFileSync('bash', ['-n', join(deployDir, 'k8s/scripts/rollout.sh')])).not.toThrow();
  });
});

type Helmfile = {
  releases: { name: string; namespace: string; chart: string; version: string; values: string[] }[];
};

describe('ops-delivery cluster add-ons', () => {
  const system = join(deployDir, 'k8s/system');
  // Helmfile templates ({{ .Values.x }}) are not YAML; they stand in for plain strings here.
  const untemplated = (file: string) => readFileSync(file, 'utf8').replace(/\{\{[^}]*\}\}/g, 'x');
  const helmfile = parseYaml(untemplated(join(system, 'helmfile.yaml.gotmpl')))[1] as Helmfile;

  it('installs each chart at an exact version with a values file of ours, and every values file is used', () => {
    expect(helmfile.releases.map((r) => r.name).sort()).toEqual([
      'argo-rollouts',
      'aws-load-balancer-controller',
      'cluster-autoscaler',
      'external-secrets',
      'prometheus-adapter',
    ]);
    const used = new Set<string>();
    for (const release of helmfile.releases) {
      expect(release.version, release.name).toMatch(/^\d+\.\d+\.\d+$/);
      for (const values of release.values) {
        used.add(values);
        expect(parseYaml(untemplated(join(system, values))), values).toHaveLength(1);
      }
    }
    expect([...used].sort()).toEqual(
      readdirSync(join(system, 'helm'))
        .map((f) => `helm/${f}`)
        .sort(),
    );
  });

  it('gives the add-ons the roles deploy/aws makes for them, per environment', () => {
    const autoscaler = readFileSync(join(system, 'helm/cluster-autoscaler.values.yaml.gotmpl'), 'utf8');
    expect(autoscaler).toContain('role/tiketi-{{ .Values.environment }}-cluster-autoscaler');
    const controller = readFileSync(
      join(system, 'helm/aws-load-balancer-controller.values.yaml.gotmpl'),
      'utf8',
    );
    expect(controller).toContain('role/tiketi-{{ .Values.environment }}-aws-load-balancer-controller');
    for (const env of ['staging', 'production']) {
      const values = parseYaml(readFileSync(join(system, `env/${env}.yaml`), 'utf8'))[0] as Record<
        string,
        string
      >;
      expect(values.environment).toBe(env);
      expect(values.clusterName).toMatch(/^tiketi-/);
    }
  });
});
