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

type Validating = { validate(): void };
type ModelClass = new (data: unknown) => Validating;

/** Where kubernetes-models keeps the model of an apiVersion: core, built-in groups, and the CRDs we use. */
function modelModule(apiVersion: string): string {
  if (apiVersion === 'v1') return 'kubernetes-models/v1';
  const [group = '', version = ''] = apiVersion.split('/');
  if (group.endsWith('cert-manager.io')) return `@kubernetes-models/cert-manager/${group}/${version}`;
  if (group.endsWith('external-secrets.io')) return `@kubernetes-models/external-secrets/${group}/${version}`;
  return `kubernetes-models/${group}/${version}`;
}

/** Validates an object against the schema of its kind; returns the problems found (empty when valid). */
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata?.name}`;
  let model: ModelClass | undefined;
  try {
    const mod = (await import(modelModule(object.apiVersion))) as Record<string, ModelClass>;
    model = mod[object.kind];
  } catch {
    return [`${where}: no schema for apiVersion ${object.apiVersion}`];
  }
  if (!model) return [`${where}: no schema for kind ${object.kind} in ${object.apiVersion}`];
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
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
