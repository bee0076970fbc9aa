import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allocatable,
  DATABASE_MAX_CONNECTIONS,
  DATABASE_RESERVED_CONNECTIONS,
  type EnvironmentConfig,
  type NodeGroupRole,
  nodeRoleLabel,
} from '../aws/src/environments.ts';
import { deployDir, type K8sObject, parseYaml, podSpecOf } from './manifests.ts';

export type Requests = { cpuMillis: number; memoryMi: number; pods: number };

export function cpuMillis(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

export function memoryMi(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi|Ki)$/.exec(quantity);
  if (!match) throw new Error(`unreadable memory quantity ${quantity}`);
  const scale = { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[match[2] as 'Ki' | 'Mi' | 'Gi'];
  return Number(match[1]) * scale;
}

type PodSpec = {
  nodeSelector?: Record<string, string>;
  containers: { resources?: { requests?: { cpu?: string; memory?: string } } }[];
};

function podRequests(pod: PodSpec): Requests {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.containers) {
    cpu += cpuMillis(c.resources?.requests?.cpu ?? '0');
    memory += memoryMi(c.resources?.requests?.memory ?? '0Mi');
  }
  return { cpuMillis: cpu, memoryMi: memory, pods: 1 };
}

/**
 * Pods the cluster runs outside deploy/k8s, on every node or on the system nodes, with the requests their
 * installers set: EKS's own add-ons (deploy/aws) and the Helm charts (system/helm, whose values set them).
 */
export const EKS_DAEMONSETS: Requests = {
  // aws-node 25m, kube-proxy 100m, ebs-csi-node 3 × 10m / 3 × 40Mi.
  cpuMillis: 155,
  memoryMi: 120,
  pods: 3,
};
export const EKS_SYSTEM_PODS: Requests = {
  // coredns 2 × 100m/70Mi, metrics-server 100m/200Mi, ebs-csi-controller 2 × 60m/240Mi.
  cpuMillis: 420,
  memoryMi: 820,
  pods: 5,
};

/** Requests of the Helm charts' pods, read from our values files (each sets them). */
export function helmSystemPods(): Requests {
  const helm = join(deployDir, 'k8s/system/helm');
  const read = (file: string) =>
    parseYaml(readFileSync(join(helm, file), 'utf8').replace(/\{\{[^}]*\}\}/g, 'x'))[0] as Record<
      string,
      // biome-ignore lint/suspicious/noExplicitAny: Helm values differ per chart; the paths are named below
      any
    >;
  const pods: { replicas: number; requests?: { cpu: string; memory: string } }[] = [];
  const es = read('external-secrets.values.yaml');
  pods.push({ replicas: es.replicaCount, requests: es.resources?.requests });
  pods.push({ replicas: 1, requests: es.webhook?.resources?.requests });
  pods.push({ replicas: 1, requests: es.certController?.resources?.requests });
  const lb = read('aws-load-balancer-controller.values.yaml.gotmpl');
  pods.push({ replicas: lb.replicaCount, requests: lb.resources?.requests });
  const rollouts = read('argo-rollouts.values.yaml');
  pods.push({ replicas: rollouts.controller?.replicas, requests: rollouts.controller?.resources?.requests });
  const autoscaler = read('cluster-autoscaler.values.yaml.gotmpl');
  pods.push({ replicas: autoscaler.replicaCount, requests: autoscaler.resources?.requests });
  const adapter = read('prometheus-adapter.values.yaml');
  pods.push({ replicas: adapter.replicas, requests: adapter.resources?.requests });
  const total: Requests = { cpuMillis: 0, memoryMi: 0, pods: 0 };
  for (const pod of pods) {
    if (!pod.requests || !pod.replicas) throw new Error('a Helm chart in system/helm sets no requests');
    total.cpuMillis += cpuMillis(pod.requests.cpu) * pod.replicas;
    total.memoryMi += memoryMi(pod.requests.memory) * pod.replicas;
    total.pods += pod.replicas;
  }
  return total;
}

export type Workload = {
  name: string;
  namespace: string;
  role: NodeGroupRole;
  pod: Requests;
  min: number;
  max: number;
  /** Pods a release adds beside the running ones: a blue/green's second colour, a canary's surge. */
  releaseSurge: number;
  databasePool: number;
};

/** Every pod-running workload of a render with its node role, requests and replica range. */
export function workloadsOf(objects: K8sObject[], poolSize: number): Workload[] {
  const hpaFor = (kind: string, name: string, ns?: string) =>
    objects.find(
      (o) =>
        o.kind === 'HorizontalPodAutoscaler' &&
        o.metadata.namespace === ns &&
        o.spec.scaleTargetRef.kind === kind &&
        o.spec.scaleTargetRef.name === name,
    );
  const out: Workload[] = [];
  for (const o of objects) {
    if (!['Deployment', 'StatefulSet', 'Rollout'].includes(o.kind)) continue;
    let template = podSpecOf(o) as PodSpec | undefined;
    let releaseSurge = 0;
    if (o.kind === 'Rollout') {
      const ref = objects.find(
        (d) =>
          d.kind === 'Deployment' &&
          d.metadata.namespace === o.metadata.namespace &&
          d.metadata.name === o.spec.workloadRef.name,
      );
      template = ref && (podSpecOf(ref) as PodSpec);
    } else if (o.spec.replicas === 0) continue;
    if (!template) throw new Error(`${o.kind}/${o.metadata.name} has no pod template`);
    const hpa = hpaFor(o.kind, o.metadata.name, o.metadata.namespace);
    const min = hpa?.spec.minReplicas ?? o.spec.replicas ?? 1;
    const max = hpa?.spec.maxReplicas ?? o.spec.replicas ?? 1;
    // Blue/green runs a second colour as large as the first; a canary adds its surge.
    if (o.kind === 'Rollout')
      releaseSurge = o.spec.strategy.blueGreen ? min : (o.spec.strategy.canary?.maxSurge ?? 1);
    const selector = Object.keys(template.nodeSelector ?? {})[0] ?? '';
    const role = (['application', 'stateful', 'system'] as NodeGroupRole[]).find(
      (r) => nodeRoleLabel(r) === selector,
    );
    if (!role) throw new Error(`${o.kind}/${o.metadata.name} selects no node group (${selector})`);
    const readsDatabase = (template.containers as { env?: { name: string }[] }[]).some((c) =>
      (c.env ?? []).some((e) => e.name === 'DATABASE_NAME'),
    );
    out.push({
      name: o.metadata.name,
      namespace: o.metadata.namespace ?? '',
      role,
      pod: podRequests(template),
      min,
      max,
      releaseSurge,
      databasePool: readsDatabase ? poolSize : 0,
    });
  }
  return out;
}

export type Fit = { role: NodeGroupRole; needed: Requests; available: Requests; nodes: number };

/**
 * For each node group: what its pods request when every workload runs `replicas(w)` pods, against what
 * `nodes(group)` nodes of it offer after the per-node daemons. A group serving several roles (staging's
 * one pool) takes all their pods.
 */
export function fit(
  config: EnvironmentConfig,
  workloads: Workload[],
  replicas: (w: Workload) => number,
  nodes: (group: EnvironmentConfig['nodeGroups'][number]) => number,
): Fit[] {
  const system = helmSystemPods();
  return config.nodeGroups.map((group) => {
    const roles = group.serves ?? [group.role];
    const needed: Requests = { cpuMillis: 0, memoryMi: 0, pods: 0 };
    for (const w of workloads.filter((x) => roles.includes(x.role))) {
      const count = replicas(w);
      needed.cpuMillis += w.pod.cpuMillis * count;
      needed.memoryMi += w.pod.memoryMi * count;
      needed.pods += count;
    }
    if (roles.includes('system')) {
      for (const extra of [system, EKS_SYSTEM_PODS]) {
        needed.cpuMillis += extra.cpuMillis;
        needed.memoryMi += extra.memoryMi;
        needed.pods += extra.pods;
      }
    }
    // The smallest of the group's instance types, less what the daemons take on each node.
    const perNode = group.instanceTypes
      .map(allocatable)
      .reduce((a, b) => (a.memoryMi <= b.memoryMi && a.cpuMillis <= b.cpuMillis ? a : b));
    const count = nodes(group);
    const available: Requests = {
      cpuMillis: (perNode.cpuMillis - EKS_DAEMONSETS.cpuMillis) * count,
      memoryMi: (perNode.memoryMi - EKS_DAEMONSETS.memoryMi) * count,
      pods: (perNode.pods - EKS_DAEMONSETS.pods) * count,
    };
    return { role: group.role, needed, available, nodes: count };
  });
}

/** Where requests exceed what the nodes offer, one line per group and resource. */
export function overcommitted(fits: Fit[]): string[] {
  const problems: string[] = [];
  for (const f of fits) {
    for (const key of ['cpuMillis', 'memoryMi', 'pods'] as const) {
      if (f.needed[key] > f.available[key])
        problems.push(
          `${f.role} × ${f.nodes}: ${key} ${Math.round(f.needed[key])} requested, ${Math.round(f.available[key])} allocatable`,
        );
    }
  }
  return problems;
}

/** PostgreSQL connections at the HPAs' maximum (and a release's surge at the minimum), against RDS's limit. */
export function databaseConnections(
  config: EnvironmentConfig,
  workloads: Workload[],
  jobs: number,
  poolSize: number,
): { atMaximum: number; duringRelease: number; allowed: number } {
  const using = workloads.filter((w) => w.databasePool > 0);
  const atMaximum = using.reduce((sum, w) => sum + w.max * w.databasePool, 0) + jobs * poolSize;
  const duringRelease =
    using.reduce((sum, w) => sum + (w.min + w.releaseSurge) * w.databasePool, 0) + jobs * poolSize;
  const limit = DATABASE_MAX_CONNECTIONS[config.database.instanceType];
  if (!limit) throw new Error(`no max_connections known for db.${config.database.instanceType}`);
  return { atMaximum, duringRelease, allowed: limit - DATABASE_RESERVED_CONNECTIONS };
}
