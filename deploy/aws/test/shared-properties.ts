import { Match } from 'aws-cdk-lib/assertions';
import { expect, it } from 'vitest';
import { serviceRoleName } from '../src/constructs/service-roles.construct.ts';
import {
  type EnvironmentConfig,
  NODE_GROUP_LABEL,
  type NodeGroupRole,
  nodeRoleLabel,
} from '../src/environments.ts';
import { backendServiceNames } from '../src/services.ts';
import {
  bucketsReachableBy,
  canReadSecret,
  GITHUB_REPOSITORY,
  logicalIdOf,
  resourcesOf,
  type Synthesized,
  statementsOf,
} from './synth.ts';

/**
 * The properties both environments must have, whatever their sizes: registered as tests by each
 * environment's test file against its own synthesized templates.
 */
export function itHasTheSharedProperties(config: EnvironmentConfig, synthesized: () => Synthesized): void {
  const prefix = `tiketi/${config.name}`;
  const role = (serviceAccount: string) => serviceRoleName(config, serviceAccount);

  it('puts the VPC at 10.0.0.0/16 with the seed 10.0.1.0/24 public and 10.0.10.0/24 private subnets first', () => {
    const { main } = synthesized();
    main.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    const subnets = Object.values(resourcesOf(main, 'AWS::EC2::Subnet')).map((s) => s.Properties);
    const firstAz = config.availabilityZones[0];
    expect(subnets).toContainEqual(
      expect.objectContaining({
        CidrBlock: '10.0.1.0/24',
        AvailabilityZone: firstAz,
        MapPublicIpOnLaunch: false,
      }),
    );
    expect(subnets).toContainEqual(
      expect.objectContaining({ CidrBlock: '10.0.10.0/24', AvailabilityZone: firstAz }),
    );
    const zones = new Set(subnets.map((s) => s.AvailabilityZone));
    expect(zones.size).toBeGreaterThanOrEqual(2);
  });

  it('gives the cluster its seed name, private nodes and encrypted Kubernetes secrets', () => {
    const { main } = synthesized();
    main.hasResourceProperties('AWS::EKS::Cluster', {
      Name: config.clusterName,
      Version: config.kubernetesVersion,
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
    });
    for (const group of Object.values(resourcesOf(main, 'AWS::EKS::Nodegroup'))) {
      const labels = group.Properties.Labels as Record<string, string>;
      const role = labels[NODE_GROUP_LABEL] as NodeGroupRole;
      expect(['application', 'stateful', 'data', 'system']).toContain(role);
      // What deploy/k8s's node selectors ask for.
      expect(labels[nodeRoleLabel(role)]).toBe('true');
    }
  });

  it('keeps PostgreSQL private and encrypted, reachable only from the cluster', () => {
    const { main } = synthesized();
    main.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      PubliclyAccessible: false,
      StorageEncrypted: true,
    });
    expectOnlyClusterIngress(synthesized, 5432);
    expectInIsolatedSubnets(synthesized, 'AWS::RDS::DBSubnetGroup', 'SubnetIds');
  });

  it('keeps Redis private and encrypted at rest and in transit, reachable only from the cluster', () => {
    const { main } = synthesized();
    main.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      AuthToken: Match.anyValue(),
    });
    expectOnlyClusterIngress(synthesized, 6379);
    expectInIsolatedSubnets(synthesized, 'AWS::ElastiCache::SubnetGroup', 'SubnetIds');
  });

  it('blocks public access on every bucket and serves them through CloudFront with origin access control', () => {
    const { main } = synthesized();
    const buckets = resourcesOf(main, 'AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toBeDefined();
    }
    main.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ SigningBehavior: 'always', SigningProtocol: 'sigv4' }),
    });
    const distributions = Object.values(resourcesOf(main, 'AWS::CloudFront::Distribution'));
    expect(distributions).toHaveLength(2);
    for (const distribution of distributions) {
      const origins = (distribution.Properties.DistributionConfig as { Origins: Record<string, unknown>[] })
        .Origins;
      expect(origins.length).toBeGreaterThan(0);
      // The API's origin is the load balancer (front-door.test.ts); every other origin is a bucket.
      for (const origin of origins.filter((o) => !o.CustomOriginConfig)) {
        expect(origin.OriginAccessControlId).toBeDefined();
        expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
      }
    }
    // Each bucket policy lets CloudFront read only on behalf of a distribution of this stack.
    main.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('publishes the web, origin and media names with certificates (CloudFront ones from us-east-1)', () => {
    const { main, edge, stack } = synthesized();
    const { web, origin, media } = config.domains;
    for (const name of [web, origin, media]) {
      main.hasResourceProperties('AWS::Route53::RecordSet', { Name: `${name}.`, Type: 'A' });
    }
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: web,
      SubjectAlternativeNames: [media],
      ValidationMethod: 'DNS',
    });
    main.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: origin,
      ValidationMethod: 'DNS',
    });
    main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS' });
    expect(stack.region).toBe('ap-northeast-2');
  });

  it('keeps the database, Toss, Google, SendGrid and the platform secrets in Secrets Manager', () => {
    const { main } = synthesized();
    const names = ['database', 'toss', 'google', 'sendgrid', 'redis', 'rabbitmq', 'internal-token'];
    for (const name of [
      ...names,
      'queue-token',
      'token-attestation',
      'challenge-hmac',
      'ticket-signing',
      'jwt-signing-key',
      'admin-password',
    ]) {
      main.hasResourceProperties('AWS::SecretsManager::Secret', { Name: `${prefix}/${name}` });
    }
  });

  it('lets only the named service account of the application namespace assume a service role', () => {
    const { main } = synthesized();
    const roleId = logicalIdOf(main, 'AWS::IAM::Role', 'RoleName', role('media'));
    const trust = JSON.stringify(
      resourcesOf(main, 'AWS::IAM::Role')[roleId]?.Properties.AssumeRolePolicyDocument,
    );
    const conditions = Object.entries(resourcesOf(main, 'Custom::AWSCDKCfnJson')).find(([id]) =>
      trust.includes(id),
    );
    expect(conditions).toBeDefined();
    expect(JSON.stringify(conditions?.[1].Properties.Value)).toContain(
      `system:serviceaccount:${config.appNamespace}:media`,
    );
    expect(trust).toContain('sts:AssumeRoleWithWebIdentity');
  });

  it('does not let the media role read the database secret or any provider secret', () => {
    const { main } = synthesized();
    for (const secret of ['database', 'database/payment', 'database/user', 'toss', 'google', 'sendgrid']) {
      expect(canReadSecret(main, role('media'), `${prefix}/${secret}`), secret).toBe(false);
    }
    expect(canReadSecret(main, role('media'), `${prefix}/database/media`)).toBe(true);
  });

  it('gives S3 to the media role, on the media bucket only, and to no other service', () => {
    const { main, stack } = synthesized();
    main.hasResourceProperties('AWS::S3::Bucket', { BucketName: `tiketi-${config.name}-media` });
    const mediaBucketId = stack.getLogicalId(stack.media.bucket.node.defaultChild as never);
    expect(bucketsReachableBy(main, role('media'))).toEqual([mediaBucketId]);
    for (const service of backendServiceNames.filter((s) => s !== 'media')) {
      expect(bucketsReachableBy(main, role(service)), service).toEqual([]);
    }
  });

  it('gives each provider and signing secret only to the services that use it', () => {
    const { main } = synthesized();
    const readers: Record<string, string[]> = {
      toss: ['payment'],
      google: ['user'],
      sendgrid: ['notification'],
      'jwt-signing-key': ['user'],
      'admin-password': ['user'],
      'queue-token': ['queue', 'reservation'],
      'token-attestation': ['gateway', 'queue', 'reservation'],
      'challenge-hmac': ['queue', 'user'],
      'ticket-signing': ['reservation'],
    };
    for (const [secret, allowed] of Object.entries(readers)) {
      for (const service of backendServiceNames) {
        expect(canReadSecret(main, role(service), `${prefix}/${secret}`), `${service} → ${secret}`).toBe(
          allowed.includes(service),
        );
      }
    }
  });

  it('gives the internal token only to the services that make or answer internal calls', () => {
    const { main } = synthesized();
    const holders = ['user', 'reservation', 'payment', 'queue', 'admin', 'notification'];
    for (const service of backendServiceNames) {
      expect(canReadSecret(main, role(service), `${prefix}/internal-token`), service).toBe(
        holders.includes(service),
      );
    }
  });

  it('gives every service the connection secrets it shares with all others', () => {
    const { main } = synthesized();
    for (const service of backendServiceNames) {
      for (const secret of ['redis', 'rabbitmq']) {
        expect(canReadSecret(main, role(service), `${prefix}/${secret}`), `${service} → ${secret}`).toBe(
          true,
        );
      }
    }
  });

  it('gives every database-owning service its own database login and nobody the master login', () => {
    const { main } = synthesized();
    const owners = ['user', 'event', 'reservation', 'payment', 'analytics', 'media', 'notification'];
    for (const service of backendServiceNames) {
      expect(canReadSecret(main, role(service), `${prefix}/database`), service).toBe(false);
      for (const owner of owners) {
        expect(
          canReadSecret(main, role(service), `${prefix}/database/${owner}`),
          `${service} → ${owner}`,
        ).toBe(service === owner);
      }
    }
  });

  it('lets only this environment of the GitHub repository assume the deploy role, to edit its own namespace', () => {
    const { main } = synthesized();
    main.hasResourceProperties('AWS::IAM::Role', {
      RoleName: `tiketi-${config.name}-github-deploy`,
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': `repo:${GITHUB_REPOSITORY}:environment:${config.name}`,
              },
            },
          }),
        ],
      },
    });
    const deployRoleId = logicalIdOf(
      main,
      'AWS::IAM::Role',
      'RoleName',
      `tiketi-${config.name}-github-deploy`,
    );
    const entries = Object.values(resourcesOf(main, 'AWS::EKS::AccessEntry')).filter(
      (entry) =>
        JSON.stringify(entry.Properties.PrincipalArn) ===
        JSON.stringify({ 'Fn::GetAtt': [deployRoleId, 'Arn'] }),
    );
    expect(entries).toHaveLength(1);
    const policies = entries[0]?.Properties.AccessPolicies as { PolicyArn: unknown; AccessScope: unknown }[];
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0]?.PolicyArn)).toContain(':cluster-access-policy/AmazonEKSEditPolicy');
    expect(policies[0]?.AccessScope).toEqual({ Type: 'namespace', Namespaces: [config.appNamespace] });
    const actions = statementsOf(main, `tiketi-${config.name}-github-deploy`).flatMap((s) =>
      [s.Action].flat(),
    );
    expect(actions.filter((action) => action.startsWith('ecr:'))).toEqual([]);
  });
}

/** Every ingress rule on the store's security group comes from the cluster's security group. */
function expectOnlyClusterIngress(synthesized: () => Synthesized, port: number): void {
  const { main, stack } = synthesized();
  const rules = Object.values(resourcesOf(main, 'AWS::EC2::SecurityGroupIngress'))
    .map((r) => r.Properties)
    .filter((rule) => rule.FromPort === port);
  expect(rules.length).toBeGreaterThan(0);
  const clusterSecurityGroup = stack.resolve(stack.cluster.cluster.clusterSecurityGroupId);
  for (const rule of rules) {
    expect(rule.CidrIp).toBeUndefined();
    expect(rule.SourceSecurityGroupId).toEqual(clusterSecurityGroup);
  }
  for (const group of Object.values(resourcesOf(main, 'AWS::EC2::SecurityGroup'))) {
    const inline = (group.Properties.SecurityGroupIngress ?? []) as { FromPort?: number; CidrIp?: string }[];
    expect(inline.filter((rule) => rule.FromPort === port)).toEqual([]);
  }
}

/** The subnet group holds only subnets whose route table has no route out of the VPC. */
function expectInIsolatedSubnets(synthesized: () => Synthesized, type: string, property: string): void {
  const { main } = synthesized();
  const [group, ...others] = Object.values(resourcesOf(main, type));
  if (!group || others.length) throw new Error(`expected exactly one ${type}`);
  const subnetIds = (group.Properties[property] as { Ref: string }[]).map((ref) => ref.Ref);
  expect(subnetIds.length).toBeGreaterThanOrEqual(2);
  const associations = Object.values(resourcesOf(main, 'AWS::EC2::SubnetRouteTableAssociation')).map(
    (a) => a.Properties as { SubnetId: { Ref: string }; RouteTableId: { Ref: string } },
  );
  const routes = Object.values(resourcesOf(main, 'AWS::EC2::Route')).map(
    (r) => r.Properties as { RouteTableId: { Ref: string } },
  );
  for (const subnetId of subnetIds) {
    const table = associations.find((a) => a.SubnetId.Ref === subnetId)?.RouteTableId.Ref;
    expect(table).toBeDefined();
    expect(routes.filter((route) => route.RouteTableId.Ref === table)).toEqual([]);
  }
}
