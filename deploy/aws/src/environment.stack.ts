import { readFileSync } from 'node:fs';
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

/** The gateway's ports (deploy/k8s/base/services/gateway): the API, and /readyz for health checks. */
const GATEWAY_PORT = 3001;
const GATEWAY_OPS_PORT = 3091;

/**
 * The pages' Content-Security-Policy, as the web image's nginx sends it (one definition), with the media
 * name added to img-src: on AWS, pictures come from media.<domain>, not from the site's own /media.
 */
export function webContentSecurityPolicy(mediaDomain: string): string {
  const template = readFileSync(new URL('../../docker/web/nginx.conf.template', import.meta.url), 'utf8');
  const policy = /add_header Content-Security-Policy "([^"]+)"/.exec(template)?.[1];
  if (!policy) throw new Error('deploy/docker/web/nginx.conf.template sends no Content-Security-Policy');
  return policy.replace(/img-src ([^;]+)/, `img-src $1 https://${mediaDomain}`);
}

export interface EnvironmentStackProps extends StackProps {
  config: EnvironmentConfig;
  zone: route53.IHostedZone;
  edgeCertificate: acm.ICertificate;
  /** The WAF web ACL (us-east-1) in front of the site's distribution. */
  webAclArn: string;
  githubOidc: iam.IOidcProvider;
  githubRepository: string;
}

/**
 * One environment in Seoul: network, cluster, data stores, roles, and the one front door: CloudFront at the
 * site's name with the web app from S3 and /api, /media, /queue from the API load balancer.
 */
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

    this.api = new ApiEndpoint(this, 'Api', {
      domainName: config.domains.origin,
      zone,
      vpc,
      backends: podSecurityGroup,
      port: GATEWAY_PORT,
      healthPort: GATEWAY_OPS_PORT,
      environment: config.name,
    });

    const retain = config.protectData;
    const edge = { certificate: props.edgeCertificate, zone, webAclArn: props.webAclArn };
    this.web = new CdnBucket(this, 'Web', {
      ...edge,
      domainName: config.domains.web,
      singlePageApp: true,
      retain,
      api: { domainName: config.domains.origin, originSecret: this.api.originSecret },
      contentSecurityPolicy: webContentSecurityPolicy(config.domains.media),
    });
    this.media = new CdnBucket(this, 'Media', {
      ...edge,
      domainName: config.domains.media,
      // The media service's S3_BUCKET in deploy/k8s's overlays.
      bucketName: `tiketi-${config.name}-media`,
      singlePageApp: false,
      retain,
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
      'deploy/k8s overlay: TargetGroupBinding gateway, spec.targetGroupARN',
    );
    output('MediaBucketName', this.media.bucket.bucketName, 'media service: S3_BUCKET');
    output('MediaPublicUrl', `https://${this.config.domains.media}`, 'media service: public base URL');
    output('WebBucketName', this.web.bucket.bucketName, 'GitHub environment variable WEB_BUCKET');
    output(
      'WebDistributionId',
      this.web.distribution.distributionId,
      'GitHub environment variable WEB_DISTRIBUTION_ID',
    );
    output('VpcId', this.network.vpc.vpcId, 'deploy/k8s/system/env/<env>.yaml: vpcId');
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
