import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const deployDir = new URL('..', import.meta.url).pathname;
export const repoDir = join(deployDir, '..');
export const overlays = ['staging', 'production'] as const;

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked against the Kubernetes schemas, not typed here
  spec?: any;
};

/** A standalone kustomize when there is one, else the one built into kubectl (v1.14+). */
function kustomizeCommand(): [string, string[]] {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'kustomize'))) return ['kustomize', ['build']];
  }
  return ['kubectl', ['kustomize']];
}

export function kustomize(dir: string): K8sObject[] {
  const [cmd, args] = kustomizeCommand();
  const out = execFileSync(cmd, [...args, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseYaml(out) as K8sObject[];
}

export function parseYaml(text: string): unknown[] {
  // Merge keys (<<) are YAML 1.1, which compose files use.
  return parseAllDocuments(text, { merge: true })
    .map((doc) => {
      if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS();
    })
    .filter((doc) => doc != null);
}

type ModelClass = (new (data: unknown) => object) & { prototype: { validate(): void } };

/**
 * Where a model of an apiVersion lives: kubernetes-models for core and built-in groups, its sister packages
 * for the CRDs we use (generated from each project's CRD openAPIV3Schema), and `schemas/` for the one CRD
 * no package models.
 */
function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion === 'v1') return `kubernetes-models/v1/${kind}`;
  const [group = '', version = ''] = apiVersion.split('/');
  if (group === 'elbv2.k8s.aws') return `./schemas/${group}-${version}.ts`;
  // One kind's module, not the group's index: loading every model of a group takes seconds.
  if (group.endsWith('cert-manager.io')) return `@kubernetes-models/cert-manager/${group}/${version}/${kind}`;
  if (group.endsWith('external-secrets.io'))
    return `@kubernetes-models/external-secrets/${group}/${version}/${kind}`;
  if (group === 'argoproj.io') return `@kubernetes-models/argo-rollouts/${group}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

type Access = { touched: boolean; read: Set<string>; enumerated: boolean };

/**
 * Wraps an object so that reading it records which fields were asked for. A schema validator asks for
 * every field its schema declares (and enumerates the keys of maps), so a field it never asked for in an
 * object it did look into is one the schema does not know: `spec.replicass`, `readinessprobe`. Objects
 * the schema leaves free-form (Helm values, `x-kubernetes-preserve-unknown-fields`) are never looked into
 * and so never reported. This is the check `kubectl apply --validate=strict` makes on the server.
 */
function watched(
  value: unknown,
  path: string,
  seen: Map<string, { object: object; access: Access }>,
  proxies = new WeakMap<object, object>(),
): unknown {
  if (!value || typeof value !== 'object') return value;
  // A validator reads the same field several times: one proxy and one record per object.
  const known = proxies.get(value);
  if (known) return known;
  const access: Access = { touched: false, read: new Set(), enumerated: false };
  seen.set(path, { object: value, access });
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      const field = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return field;
      access.touched = true;
      access.read.add(key);
      return Object.hasOwn(target, key) ? watched(field, `${path}.${key}`, seen, proxies) : field;
    },
    has(target, key) {
      access.touched = true;
      if (typeof key === 'string') access.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      access.touched = true;
      access.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
  proxies.set(value, proxy);
  return proxy;
}

const models = new Map<string, Promise<Record<string, ModelClass>>>();

/**
 * Validates an object against the schema of its kind (types, required fields, enums) and rejects fields
 * the schema does not declare; returns the problems found (empty when valid).
 */
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata?.name}`;
  let model: ModelClass | undefined;
  try {
    const module = modelModule(object.apiVersion, object.kind);
    const loading = models.get(module) ?? (import(module) as Promise<Record<string, ModelClass>>);
    models.set(module, loading);
    const mod = await loading;
    model = mod[object.kind];
  } catch {
    return [`${where}: no schema for apiVersion ${object.apiVersion}`];
  }
  if (!model) return [`${where}: no schema for kind ${object.kind} in ${object.apiVersion}`];
  const seen = new Map<string, { object: object; access: Access }>();
  const problems: string[] = [];
  try {
    model.prototype.validate.call(watched(new model(object), '', seen));
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  for (const [path, { object: checked, access }] of seen) {
    if (!access.touched || access.enumerated || Array.isArray(checked)) continue;
    for (const key of Object.keys(checked)) {
      if (!access.read.has(key)) problems.push(`${where}: unknown field ${`${path}.${key}`.slice(1)}`);
    }
  }
  return problems;
}

export function podSpecOf(object: K8sObject) {
  if (object.kind === 'CronJob') return object.spec.jobTemplate.spec.template.spec;
  return object.spec?.template?.spec;
}

export function matches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
