import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { production } from '../src/environments.ts';
import { itHasTheSharedProperties } from './shared-properties.ts';
import { resourcesOf, type Synthesized, synthesize } from './synth.ts';

describe('aws-production: the production environment synthesizes offline', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synthesize('production');
  });
  afterAll(() => synthesized?.cleanup());

  itHasTheSharedProperties(production, () => synthesized);

  it('runs the node groups the capacity check sizes: no data group, since RDS and ElastiCache hold the data', () => {
    const groups = Object.values(resourcesOf(synthesized.main, 'AWS::EKS::Nodegroup')).map(
      (g) => g.Properties,
    );
    const summary = Object.fromEntries(
      groups.map((g) => [
        (g.Labels as Record<string, string>)['node-group'],
        {
          types: g.InstanceTypes,
          desired: (g.ScalingConfig as { DesiredSize: number }).DesiredSize,
          capacity: g.CapacityType,
        },
      ]),
    );
    expect(summary).toEqual({
      application: { types: ['t3.medium'], desired: 3, capacity: 'ON_DEMAND' },
      stateful: { types: ['t3.small'], desired: 2, capacity: 'ON_DEMAND' },
      system: { types: ['t3.medium'], desired: 2, capacity: 'ON_DEMAND' },
    });
  });

  it('uses a Multi-AZ db.t3.medium with deletion protection, backups and a snapshot on delete', () => {
    const database = Object.values(resourcesOf(synthesized.main, 'AWS::RDS::DBInstance'))[0];
    expect(database?.Properties).toMatchObject({
      DBInstanceClass: 'db.t3.medium',
      MultiAZ: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
    });
    expect(database?.DeletionPolicy).toBe('Snapshot');
  });

  it('uses three cache.t3.micro Redis nodes with automatic failover across AZs', () => {
    synthesized.main.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 3,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
    });
  });

  it('spreads over three AZs with a NAT gateway in each and serves tiketi.gg, its API origin behind it', () => {
    synthesized.main.resourceCountIs('AWS::EC2::NatGateway', 3);
    synthesized.main.hasResourceProperties('AWS::EKS::Cluster', { Name: 'tiketi-prod' });
    synthesized.main.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'tiketi.gg.', Type: 'A' });
    synthesized.main.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'origin.tiketi.gg.',
      Type: 'A',
    });
  });

  it('keeps the media and web buckets when the stack is deleted', () => {
    const buckets = Object.values(resourcesOf(synthesized.main, 'AWS::S3::Bucket'));
    // Without this the loop below passes on a stack that lost its buckets.
    expect(buckets).toHaveLength(2);
    for (const bucket of buckets) {
      expect(bucket.DeletionPolicy).toBe('Retain');
    }
  });
});
