import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments.ts';
import { accessOf, type BackendService, backendServiceNames } from '../services.ts';
import type { AppSecrets } from './app-secrets.construct.ts';
import { serviceAccountPrincipal } from './cluster.construct.ts';
import type { DataStores } from './data-stores.construct.ts';

export interface ServiceRolesProps {
  config: EnvironmentConfig;
  cluster: eks.Cluster;
  dataStores: DataStores;
  secrets: AppSecrets;
  mediaBucket: s3.IBucket;
  apiTargetGroup: elbv2.IApplicationTargetGroup;
}

/** The role name a ServiceAccount annotation points at: `eks.amazonaws.com/role-arn: arn:aws:iam::<account>:role/<this>`. */
export function serviceRoleName(config: EnvironmentConfig, serviceAccount: string): string {
  return `tiketi-${config.name}-${serviceAccount}`;
}

/**
 * One IAM role per ServiceAccount (IRSA), each granted exactly what its service uses: its own database
 * login, its own secrets (Toss for payment, Google for user, …), the media bucket for media. The
 * connection secrets (Redis, RabbitMQ, the internal token) go to every backend service because every
 * one connects to them (the kit's base config).
 */
export class ServiceRoles extends Construct {
  readonly roles: Record<BackendService, iam.Role>;
  readonly rabbitmq: iam.Role;
  readonly monitoring: iam.Role;
  readonly loadBalancerController: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceRolesProps) {
    super(scope, id);
    const { config, cluster, dataStores, secrets } = props;

    const roleFor = (namespace: string, serviceAccount: string, description: string, name = serviceAccount) =>
      new iam.Role(this, `Role-${name}`, {
        roleName: serviceRoleName(config, name),
        description,
        assumedBy: serviceAccountPrincipal(this, serviceAccount, cluster, namespace, serviceAccount),
      });

    const roles: Partial<Record<BackendService, iam.Role>> = {};
    for (const service of backendServiceNames) {
      const access = accessOf(service);
      const role = roleFor(
        config.appNamespace,
        service,
        `Pods of the ${service} service (${config.appNamespace})`,
      );
      const readable: secretsmanager.ISecret[] = [dataStores.redisSecret, secrets.rabbitmq];
      const ownDatabase = dataStores.serviceDatabaseSecrets[service];
      if (access.database && ownDatabase) readable.push(ownDatabase);
      for (const name of access.secrets ?? []) readable.push(secrets.byName[name]);
      for (const secret of readable) secret.grantRead(role);
      if (access.mediaBucket) props.mediaBucket.grantReadWrite(role);
      roles[service] = role;
    }
    this.roles = roles as Record<BackendService, iam.Role>;

    this.rabbitmq = roleFor(config.dataNamespace, 'rabbitmq', 'RabbitMQ StatefulSet: reads its user');
    secrets.rabbitmq.grantRead(this.rabbitmq);

    // Monitoring's SecretStore signs in as tiketi-monitoring:monitoring-secrets (no pod runs as it).
    this.monitoring = roleFor(
      'tiketi-monitoring',
      'monitoring-secrets',
      "Monitoring: Grafana admin, on-call webhook, the exporters' logins, the services' scrape token",
      'monitoring',
    );
    for (const secret of [
      secrets.grafana,
      secrets.alerting,
      dataStores.monitoringDatabaseSecret,
      dataStores.redisSecret,
      secrets.byName['ops-token'],
    ])
      secret.grantRead(this.monitoring);

    // Only what a TargetGroupBinding needs: register gateway pod IPs in the one target group made here.
    // Without create/delete rights the controller cannot spawn load balancers of its own.
    this.loadBalancerController = roleFor(
      'kube-system',
      'aws-load-balancer-controller',
      'AWS Load Balancer Controller, TargetGroupBinding only',
    );
    this.loadBalancerController.addToPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        resources: [props.apiTargetGroup.targetGroupArn],
      }),
    );
    this.loadBalancerController.addToPolicy(
      new iam.PolicyStatement({
        // Describe calls cannot be scoped to a resource.
        actions: [
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DescribeTargetGroupAttributes',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeTags',
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'ec2:DescribeAvailabilityZones',
        ],
        resources: ['*'],
      }),
    );
  }
}
