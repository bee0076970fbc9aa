import type { App } from 'aws-cdk-lib';
import { EdgeStack } from './edge.stack.ts';
import { EnvironmentStack } from './environment.stack.ts';
import {
  EDGE_CERTIFICATE_REGION,
  type EnvironmentConfig,
  type EnvironmentName,
  environments,
  REGION,
} from './environments.ts';
import { SharedStack } from './shared.stack.ts';

/** Synthesis needs an account id only to write ARNs; deploys pass the real one (README). */
export const PLACEHOLDER_ACCOUNT = '111111111111';

export interface TiketiStacks {
  shared: SharedStack;
  environments: Partial<Record<EnvironmentName, { edge: EdgeStack; main: EnvironmentStack }>>;
}

export interface TiketiAppOptions {
  account: string;
  githubRepository: string;
  /** Which environments to build; both by default. */
  only?: EnvironmentName[];
}

/**
 * Stacks: `tiketi-shared` (DNS zone, image repositories, GitHub OIDC provider and image-push role), and per environment
 * `tiketi-<env>-edge` (us-east-1, for CloudFront: certificate and WAF) and `tiketi-<env>` (everything else).
 */
export function addTiketiStacks(app: App, options: TiketiAppOptions): TiketiStacks {
  const { account } = options;
  const shared = new SharedStack(app, 'tiketi-shared', {
    env: { account, region: REGION },
    description: 'Tiketi: DNS zone, image repositories, GitHub OIDC provider and image-push role',
    crossRegionReferences: true,
    githubRepository: options.githubRepository,
  });

  const built: TiketiStacks['environments'] = {};
  const chosen = options.only ?? (Object.keys(environments) as EnvironmentName[]);
  for (const name of chosen) {
    const config: EnvironmentConfig = environments[name];
    const edge = new EdgeStack(app, `tiketi-${name}-edge`, {
      env: { account, region: EDGE_CERTIFICATE_REGION },
      description: `Tiketi ${name}: CloudFront certificate and WAF web ACL`,
      config,
      zone: shared.zone,
    });
    const main = new EnvironmentStack(app, `tiketi-${name}`, {
      env: { account, region: REGION },
      description: `Tiketi ${name}: VPC, EKS ${config.clusterName}, RDS, ElastiCache, CloudFront front door, DNS`,
      config,
      zone: shared.zone,
      edgeCertificate: edge.certificate,
      webAclArn: edge.webAcl.attrArn,
      githubOidc: shared.githubOidc,
      githubRepository: options.githubRepository,
      terminationProtection: config.protectData,
    });
    built[name] = { edge, main };
  }
  return { shared, environments: built };
}
