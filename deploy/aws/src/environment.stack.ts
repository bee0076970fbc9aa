import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { ApiEndpoint } from './constructs/api-endpoint.construct.ts';
import { AppSecrets } from './constructs/app-secrets.construct.ts';
import { CdnBucket } from './constructs/cdn-bucket.construct.ts';
import { Cluster } from './constructs/cluster.construct.ts';
import { DataStores } from './constructs/data-stores.construct.ts';
import { Network } from './constructs/network.construct.ts';
import { PipelineRole } from './constructs/pipeline-role.construct.ts';
import { ServiceRoles } from './constructs/service-roles.construct.ts';
import type { EnvironmentConfig } from './environments.ts';

/** ingress-nginx's plain-HTTP port: TLS ends at the ALB, which forwards X-Forwarded-Proto. */
const INGRESS_HTTP_PORT = 80;

export interface EnvironmentStackProps extends StackProps {
  config: EnvironmentConfig;
  zone: route53.IHostedZone;
  edgeCertificate: acm.ICertificate;
  githubOidc: iam.IOidcProvider;
  githubRepository: string;
}

/** One environment in Seoul: network, cluster, data stores, web and media CDN, API endpoint, roles. */
export class EnvironmentStack extends Stack {
  readonly config: EnvironmentConfig;
  readonly network: Network;
  readonly cluster: Cluster;
  readonly dataStores: DataStores;
  readonly secrets: AppSecrets;
  readonly web: CdnBucket;
  readonly media: CdnBucket;
  readonly api: ApiEndpoint;
  readonly serviceRoles: ServiceRoles;
  readonly pipeline: PipelineRole;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const { config, zone } = props;
    this.config = config;
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'AZs are fixed in the environment config so synthesis needs no AWS account',
    });

    this.network = new Network(this, 'Network', config);
    const vpc = this.network.vpc;
    this.cluster = new Cluster(this, 'Eks', { config, vpc });
    const eksCluster = this.cluster.cluster;
    const podSecurityGroup = eksCluster.clusterSecurityGroup;

    this.dataStores = new DataStores(this, 'Data', { config, vpc, clients: podSecurityGroup });
    this.secrets = new AppSecrets(this, 'Secrets', config);

    const retain = config.protectData;
    const edge = { certificate: props.edgeCertificate, zone };
    this.web = new CdnBucket(this, 'Web', {
      ...edge,
      domainName: config.domains.web,
      singlePageApp: true,
      retain,
    });
    this.media = new CdnBucket(this, 'Media', {
      ...edge,
      domainName: config.domains.media,
      // The media service's S3_BUCKET in deploy/k8s's overlays.
      bucketName: `tiketi-${config.name}-media`,
      singlePageApp: false,
      retain,
    });

    this.api = new ApiEndpoint(this, 'Api', {
      domainName: config.domains.api,
      zone,
      vpc,
      backends: podSecurityGroup,
      port: INGRESS_HTTP_PORT,
    });

    this.serviceRoles = new ServiceRoles(this, 'ServiceRoles', {
      config,
      cluster: eksCluster,
      dataStores: this.dataStores,
      secrets: this.secrets,
      mediaBucket: this.media.bucket,
      apiTargetGroup: this.api.targetGroup,
    });

    this.pipeline = new PipelineRole(this, 'Pipeline', {
      config,
      githubOidc: props.githubOidc,
      githubRepository: props.githubRepository,
      cluster: eksCluster,
      webBucket: this.web.bucket,
      webDistribution: this.web.distribution,
    });

    this.outputs();
  }

  /** Everything deploy/k8s and the pipeline need, in one place (`cdk deploy --outputs-file`). */
  private outputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output(
      'ClusterName',
      this.cluster.cluster.clusterName,
      'kubectl context: aws eks update-kubeconfig --name',
    );
    output(
      'ClusterAdminRoleArn',
      this.cluster.adminRole.roleArn,
      'assume for kubectl apply -k deploy/k8s/...',
    );
    output('DatabaseEndpoint', this.dataStores.database.dbInstanceEndpointAddress, 'PostgreSQL host');
    output('RedisEndpoint', this.dataStores.redis.attrPrimaryEndPointAddress, 'Redis primary (TLS, AUTH)');
    output(
      'ApiTargetGroupArn',
      this.api.targetGroup.targetGroupArn,
      'TargetGroupBinding for the gateway Service',
    );
    output('MediaBucketName', this.media.bucket.bucketName, 'media service: S3_BUCKET');
    output('MediaPublicUrl', `https://${this.config.domains.media}`, 'media service: public base URL');
    output('WebBucketName', this.web.bucket.bucketName, 'pipeline: aws s3 sync apps/web/dist');
    output(
      'WebDistributionId',
      this.web.distribution.distributionId,
      'pipeline: cloudfront create-invalidation',
    );
    output(
      'GithubDeployRoleArn',
      this.pipeline.role.roleArn,
      'pipeline: aws-actions/configure-aws-credentials',
    );
  }

  /** Fixed AZs: reading them from the account would make `cdk synth` need credentials. */
  override get availabilityZones(): string[] {
    return this.config.availabilityZones;
  }
}
