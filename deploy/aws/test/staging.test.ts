import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staging } from '../src/environments.ts';
import { itHasTheSharedProperties } from './shared-properties.ts';
import { GITHUB_REPOSITORY, resourcesOf, type Synthesized, statementsOf, synthesize } from './synth.ts';

describe('aws-staging: the staging environment synthesizes offline', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synthesize('staging');
  });
  afterAll(() => synthesized?.cleanup());

  itHasTheSharedProperties(staging, () => synthesized);

  it('runs one spot pool of 2 × t3.large (two t3.small could not hold its pods), up to 4', () => {
    const groups = Object.values(resourcesOf(synthesized.main, 'AWS::EKS::Nodegroup')).map(
      (g) => g.Properties,
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      CapacityType: 'SPOT',
      ScalingConfig: { DesiredSize: 2, MinSize: 2, MaxSize: 4 },
      Labels: { 'node-group': 'application' },
    });
    expect(groups[0]?.InstanceTypes).toContain('t3.large');
  });

  it('uses a single-AZ db.t3.small (a t3.micro has too few connections) that can be torn down with the stack', () => {
    const database = Object.values(resourcesOf(synthesized.main, 'AWS::RDS::DBInstance'))[0];
    expect(database?.Properties).toMatchObject({
      DBInstanceClass: 'db.t3.small',
      MultiAZ: false,
      DeletionProtection: false,
    });
    expect(database?.DeletionPolicy).toBe('Delete');
  });

  it('uses one cache.t3.micro Redis node without failover', () => {
    synthesized.main.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 1,
      AutomaticFailoverEnabled: false,
      MultiAZEnabled: false,
    });
  });

  it('spends one NAT gateway across its two AZs and serves staging.tiketi.gg', () => {
    synthesized.main.resourceCountIs('AWS::EC2::NatGateway', 1);
    synthesized.main.hasResourceProperties('AWS::EKS::Cluster', { Name: 'tiketi-staging' });
    synthesized.main.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'staging.tiketi.gg.' });
  });

  it('keeps one scanned image repository per image, with lifecycle rules, in the shared stack', () => {
    const repositories = Object.values(resourcesOf(synthesized.shared, 'AWS::ECR::Repository')).map(
      (r) => r.Properties,
    );
    expect(repositories.map((r) => r.RepositoryName).sort()).toEqual(
      [
        'admin',
        'analytics',
        'event',
        'gateway',
        'media',
        'notification',
        'payment',
        'queue',
        'reservation',
        'user',
      ].map((name) => `tiketi/${name}`),
    );
    for (const repository of repositories) {
      expect(repository.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
      const policy = JSON.parse(
        (repository.LifecyclePolicy as { LifecyclePolicyText: string }).LifecyclePolicyText,
      );
      expect(
        policy.rules.map((rule: { selection: { tagStatus: string } }) => rule.selection.tagStatus),
      ).toEqual(['untagged', 'any']);
    }
    synthesized.shared.hasResourceProperties('AWS::Route53::HostedZone', { Name: 'tiketi.gg.' });
    synthesized.shared.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
    });
  });

  it('lets only main of the GitHub repository push images, and the push role do nothing else', () => {
    const { shared } = synthesized;
    shared.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'tiketi-github-image-push',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': `repo:${GITHUB_REPOSITORY}:ref:refs/heads/main`,
              },
            },
          }),
        ],
      },
    });
    const actions = statementsOf(shared, 'tiketi-github-image-push').flatMap((s) => [s.Action].flat());
    expect(actions).toContain('ecr:PutImage');
    expect(actions.every((action) => action.startsWith('ecr:'))).toBe(true);
  });
});
