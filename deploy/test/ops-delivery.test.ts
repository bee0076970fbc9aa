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
  jobs: Record<string, { uses?: string; with?: Record<string, unknown>; steps?: { run?: string }[] }>;
};

describe('ops-delivery workflows', () => {
  const dir = join(repoDir, '.github/workflows');

  it('has one path-triggered pipeline per service, calling the shared build-test-push-rollout pipeline', () => {
    const files = readdirSync(dir);
    for (const name of [...services, 'web']) {
      expect(files).toContain(`deploy-${name}.yml`);
      const wf = readYaml<Workflow>(join(dir, `deploy-${name}.yml`));
      const folder = name === 'web' ? 'apps/web' : `services/${name}`;
      expect(wf.on.push?.paths).toContain(`${folder}/**`);
      expect(wf.jobs.pipeline?.uses).toBe('./.github/workflows/service-pipeline.yml');
      expect(wf.jobs.pipeline?.with?.service).toBe(name);
    }
  });

  it('the pipeline tests, pushes to ECR and rolls out with kubectl set image and rollout status', () => {
    const pipeline = readFileSync(join(dir, 'service-pipeline.yml'), 'utf8');
    expect(pipeline).toMatch(/amazon-ecr-login/);
    expect(pipeline).toMatch(/deploy\/k8s\/scripts\/rollout\.sh tiketi-staging/);
    expect(pipeline).toMatch(/deploy\/k8s\/scripts\/rollout\.sh tiketi-production/);
    const rollout = readFileSync(join(deployDir, 'k8s/scripts/rollout.sh'), 'utf8');
    expect(rollout).toMatch(/kubectl -n "\$ns" set image "deployment\/\$service"/);
    expect(rollout).toMatch(/rollout status/);
  });

  it('the project-wide workflow runs .ci/run', () => {
    const ci = readYaml<Workflow>(join(dir, 'ci.yml'));
    expect(ci.jobs.test?.steps?.some((s) => s.run?.includes('bash .ci/run'))).toBe(true);
  });

  it('the rollout, blue/green and canary scripts are valid bash', () => {
    for (const script of ['rollout.sh', 'blue-green.sh', 'canary.sh']) {
      expect(() => execFileSync('bash', ['-n', join(deployDir, 'k8s/scripts', script)])).not.toThrow();
    }
  });
});
