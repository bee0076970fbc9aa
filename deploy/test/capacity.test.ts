import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { environments } from '../aws/src/environments.ts';
import { databaseConnections, fit, overcommitted, type Workload, workloadsOf } from './capacity.ts';
import { deployDir, type K8sObject, kustomize, overlays } from './manifests.ts';

const rendered: Record<string, K8sObject[]> = {};
beforeAll(() => {
  for (const overlay of overlays) rendered[overlay] = kustomize(join(deployDir, 'k8s/overlays', overlay));
});

const poolSizeOf = (objects: K8sObject[]): number => {
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('tiketi-config')) as
    | { data?: Record<string, string> }
    | undefined;
  const size = Number(config?.data?.DATABASE_POOL_SIZE);
  if (!Number.isInteger(size) || size < 1) throw new Error('tiketi-config sets no DATABASE_POOL_SIZE');
  return size;
};
/** Jobs that open the database beside the services: the migration Jobs and the analytics rollups. */
const databaseJobs = (objects: K8sObject[]) =>
  objects.filter(
    (o) =>
      o.kind === 'CronJob' &&
      o.spec.jobTemplate.spec.template.spec.containers.some((c: { env?: { name: string }[] }) =>
        (c.env ?? []).some((e) => e.name === 'DATABASE_NAME'),
      ),
  ).length;

describe.each(overlays)('capacity of %s', (overlay) => {
  const config = environments[overlay];
  let workloads: Workload[];
  beforeAll(() => {
    workloads = workloadsOf(rendered[overlay] ?? [], poolSizeOf(rendered[overlay] ?? []));
  });

  it('counts every service, the data and monitoring pods', () => {
    const names = workloads.map((w) => w.name);
    expect(names).toEqual(
      expect.arrayContaining(['gateway', 'reservation', 'payment', 'rabbitmq', 'prometheus']),
    );
    expect(workloads.find((w) => w.name === 'reservation')?.releaseSurge).toBeGreaterThan(0);
  });

  it("fits its pods at the HPAs' minimum on the nodes each group starts with", () => {
    const fits = fit(
      config,
      workloads,
      (w) => w.min,
      (group) => group.desired,
    );
    expect(overcommitted(fits)).toEqual([]);
  });

  it('has room in its node groups for every HPA at its maximum, or a release: the Cluster Autoscaler adds the nodes', () => {
    const fits = fit(
      config,
      workloads,
      (w) => Math.max(w.max, w.min + w.releaseSurge),
      (group) => group.max,
    );
    expect(overcommitted(fits)).toEqual([]);
  });

  it('keeps the database connections of every pod at its HPA maximum within what RDS allows', () => {
    const objects = rendered[overlay] ?? [];
    const jobs = databaseJobs(objects);
    expect(jobs).toBeGreaterThanOrEqual(7);
    const connections = databaseConnections(config, workloads, jobs, poolSizeOf(objects));
    expect(connections.atMaximum).toBeGreaterThan(0);
    expect(connections.atMaximum).toBeLessThanOrEqual(connections.allowed);
    expect(connections.duringRelease).toBeLessThanOrEqual(connections.allowed);
  });
});

describe('capacity check', () => {
  it('reports a node group its pods do not fit and a pool the database cannot serve', () => {
    const config = environments.staging;
    const pod = { cpuMillis: 1000, memoryMi: 1024, pods: 1 };
    const big: Workload = {
      name: 'big',
      namespace: 'x',
      role: 'application',
      pod,
      min: 20,
      max: 40,
      releaseSurge: 0,
      databasePool: 10,
    };
    expect(
      overcommitted(
        fit(
          config,
          [big],
          (w) => w.min,
          (g) => g.desired,
        ),
      ).join('\n'),
    ).toMatch(/application × 2: cpuMillis 2\d{4} requested/);
    const connections = databaseConnections(config, [big], 0, 10);
    expect(connections.atMaximum).toBe(400);
    expect(connections.atMaximum).toBeGreaterThan(connections.allowed);
  });
});
