import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addTiketiStacks, PLACEHOLDER_ACCOUNT } from '../src/app.ts';
import type { EnvironmentStack } from '../src/environment.stack.ts';
import type { EnvironmentName } from '../src/environments.ts';

export const GITHUB_REPOSITORY = 'tiketi/tiketi';

export interface Synthesized {
  stack: EnvironmentStack;
  main: Template;
  /** us-east-1: the CloudFront certificate and the WAF web ACL. */
  edge: Template;
  shared: Template;
  cleanup: () => void;
}

/**
 * Synthesizes the shared stack and one environment as `cdk synth` does (same feature flags from
 * cdk.json, placeholder account, no AWS calls). CDK's built-in CloudFormation linter is left to
 * `npm run synth`: it takes most of a synthesis's CPU and these tests assert the properties that matter.
 */
export function synthesize(environment: EnvironmentName): Synthesized {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const outdir = mkdtempSync(join(tmpdir(), `aws-${environment}-`));
  const app = new App({ context: cdkJson.context, outdir, builtinCloudFormationValidation: false });
  const stacks = addTiketiStacks(app, {
    account: PLACEHOLDER_ACCOUNT,
    githubRepository: GITHUB_REPOSITORY,
    only: [environment],
  });
  const built = stacks.environments[environment];
  if (!built) throw new Error(`environment ${environment} was not built`);
  return {
    stack: built.main,
    main: Template.fromStack(built.main),
    edge: Template.fromStack(built.edge),
    shared: Template.fromStack(stacks.shared),
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }
>;

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

export function logicalIdOf(template: Template, type: string, property: string, value: unknown): string {
  const found = Object.entries(resourcesOf(template, type)).filter(
    ([, resource]) => JSON.stringify(resource.Properties[property]) === JSON.stringify(value),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${type} with ${property}=${String(value)}, got ${found.length}`);
  return (found[0] as [string, unknown])[0];
}

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of every inline policy attached to the role with this name. */
export function statementsOf(template: Template, roleName: string): Statement[] {
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'RoleName', roleName);
  const statements: Statement[] = [];
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = policy.Properties.Roles as unknown[];
    if (!roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }))) continue;
    const document = policy.Properties.PolicyDocument as { Statement: Statement | Statement[] };
    statements.push(...[document.Statement].flat());
  }
  return statements;
}

function actionsOf(statement: Statement): string[] {
  return [statement.Action].flat();
}

function resourcesIn(statement: Statement): unknown[] {
  return [statement.Resource].flat();
}

/**
 * The references that resolve to the secret with this name: the secret itself and any target
 * attachment of it (RDS attaches host and port; its Ref is the same ARN).
 */
function secretReferences(template: Template, secretName: string): string[] {
  const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret', 'Name', secretName);
  const attachments = Object.entries(resourcesOf(template, 'AWS::SecretsManager::SecretTargetAttachment'))
    .filter(
      ([, attachment]) =>
        JSON.stringify(attachment.Properties.SecretId) === JSON.stringify({ Ref: secretId }),
    )
    .map(([id]) => id);
  return [secretId, ...attachments].map((id) => JSON.stringify({ Ref: id }));
}

/** True when the role may call GetSecretValue on the secret, directly or through a wildcard. */
export function canReadSecret(template: Template, roleName: string, secretName: string): boolean {
  const references = secretReferences(template, secretName);
  return statementsOf(template, roleName).some(
    (statement) =>
      statement.Effect === 'Allow' &&
      actionsOf(statement).some((action) =>
        ['secretsmanager:GetSecretValue', 'secretsmanager:*', '*'].includes(action),
      ) &&
      resourcesIn(statement).some(
        (resource) => resource === '*' || references.includes(JSON.stringify(resource)),
      ),
  );
}

/** Logical ids of the buckets an S3 statement of the role names; '*' when one names any bucket. */
export function bucketsReachableBy(template: Template, roleName: string): string[] {
  const bucketIds = Object.keys(resourcesOf(template, 'AWS::S3::Bucket'));
  const reachable = new Set<string>();
  for (const statement of statementsOf(template, roleName)) {
    if (statement.Effect !== 'Allow' || !actionsOf(statement).some((a) => a.startsWith('s3:') || a === '*'))
      continue;
    for (const resource of resourcesIn(statement)) {
      if (resource === '*') reachable.add('*');
      const text = JSON.stringify(resource);
      for (const id of bucketIds) if (text.includes(`"${id}"`)) reachable.add(id);
    }
  }
  return [...reachable].sort();
}
