import type { ServiceName } from '@tiketi/contracts';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { ROOT_DOMAIN } from './environments.ts';
import { imageNames } from './services.ts';

export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
const IMAGES_KEPT = 30;

export interface SharedStackProps extends StackProps {
  /** owner/name of the GitHub repository whose main branch builds the images. */
  githubRepository: string;
}

/**
 * What both environments use: the DNS zone, one image repository per service (staging and production
 * run the same image, promoted by tag, never rebuilt), the account's GitHub OIDC provider and the role
 * the pipeline's image job pushes with.
 */
export class SharedStack extends Stack {
  readonly zone: route53.PublicHostedZone;
  readonly repositories: Record<ServiceName, ecr.Repository>;
  readonly githubOidc: iam.OidcProviderNative;
  readonly imagePushRole: iam.Role;

  constructor(scope: Construct, id: string, props: SharedStackProps) {
    super(scope, id, props);

    this.zone = new route53.PublicHostedZone(this, 'Zone', {
      zoneName: ROOT_DOMAIN,
      comment: 'Tiketi: web, API and media for staging and production',
    });
    this.zone.applyRemovalPolicy(RemovalPolicy.RETAIN);

    const repositories: Partial<Record<ServiceName, ecr.Repository>> = {};
    for (const service of imageNames) {
      repositories[service] = new ecr.Repository(this, `Repository-${service}`, {
        repositoryName: `tiketi/${service}`,
        imageScanOnPush: true,
        // Commit-SHA tags never move, so a rollback redeploys exactly what was tested; only the
        // seed's convenience tag `latest` may be overwritten.
        imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
        imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('latest')],
        encryption: ecr.RepositoryEncryption.AES_256,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          {
            rulePriority: 1,
            description: 'Drop untagged layers left by re-pushed tags',
            tagStatus: ecr.TagStatus.UNTAGGED,
            maxImageAge: Duration.days(7),
          },
          {
            rulePriority: 2,
            description: `Keep the last ${IMAGES_KEPT} images for rollbacks`,
            tagStatus: ecr.TagStatus.ANY,
            maxImageCount: IMAGES_KEPT,
          },
        ],
      });
    }
    this.repositories = repositories as Record<ServiceName, ecr.Repository>;

    // An account holds one provider per issuer, so it lives here and each environment's deploy role trusts it.
    this.githubOidc = new iam.OidcProviderNative(this, 'GithubOidc', {
      url: GITHUB_OIDC_URL,
      clientIds: ['sts.amazonaws.com'],
    });

    // The pipeline's image job runs on main without a GitHub environment; this role can push images
    // and nothing else. Rolling them out needs the environment's own deploy role.
    this.imagePushRole = new iam.Role(this, 'ImagePushRole', {
      roleName: 'tiketi-github-image-push',
      description: 'GitHub Actions on main: push service images to ECR',
      assumedBy: new iam.WebIdentityPrincipal(this.githubOidc.oidcProviderArn, {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': `repo:${props.githubRepository}:ref:refs/heads/main`,
        },
      }),
    });
    for (const repository of Object.values(this.repositories)) repository.grantPullPush(this.imagePushRole);

    new CfnOutput(this, 'NameServers', {
      description: `Set these as the name servers of ${ROOT_DOMAIN} at its registrar`,
      value: Fn.join(', ', this.zone.hostedZoneNameServers ?? []),
    });
    new CfnOutput(this, 'RegistryUri', {
      value: `${this.account}.dkr.ecr.${this.region}.amazonaws.com`,
    });
    new CfnOutput(this, 'ImagePushRoleArn', {
      description: 'GitHub repository variable AWS_DEPLOY_ROLE_ARN (the image job)',
      value: this.imagePushRole.roleArn,
    });
  }
}
