import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments.ts';

export interface PipelineRoleProps {
  config: EnvironmentConfig;
  githubOidc: iam.IOidcProvider;
  /** owner/name of the GitHub repository whose workflows may deploy. */
  githubRepository: string;
  cluster: eks.Cluster;
  webBucket: s3.IBucket;
  webDistribution: cloudfront.IDistribution;
}

/**
 * The role GitHub Actions' deploy job assumes (OIDC, no stored keys) to roll Deployments with
 * `kubectl set image` and publish the web app. Only jobs that run in the GitHub environment of the
 * same name can assume it, so staging's job cannot touch production. Pushing images is the shared
 * stack's image-push role's job.
 */
export class PipelineRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineRoleProps) {
    super(scope, id);
    const { config } = props;

    this.role = new iam.Role(this, 'Role', {
      roleName: `tiketi-${config.name}-github-deploy`,
      description: `GitHub Actions, environment ${config.name}: roll out, publish web`,
      assumedBy: new iam.WebIdentityPrincipal(props.githubOidc.oidcProviderArn, {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': `repo:${props.githubRepository}:environment:${config.name}`,
        },
      }),
    });

    // `aws eks update-kubeconfig` needs this; what kubectl may do is decided by the access entry below.
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [props.cluster.clusterArn] }),
    );
    props.cluster.grantAccess('GithubDeploy', this.role.roleArn, [
      // Edit in the application namespace only: enough for set image / rollout status, nothing cluster-wide.
      eks.AccessPolicy.fromAccessPolicyName('AmazonEKSEditPolicy', {
        accessScopeType: eks.AccessScopeType.NAMESPACE,
        namespaces: [config.appNamespace],
      }),
    ]);

    props.webBucket.grantReadWrite(this.role);
    props.webBucket.grantDelete(this.role);
    props.webDistribution.grantCreateInvalidation(this.role);
  }
}
