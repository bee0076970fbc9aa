import { CfnJson, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type EnvironmentConfig,
  MAX_PODS_PER_NODE,
  NODE_GROUP_LABEL,
  type NodeGroupSpec,
  nodeRoleLabel,
} from '../environments.ts';

/**
 * Amazon Linux 2023 reads this NodeConfig from the launch template's user data and merges it into what EKS
 * sets: the kubelet's pod limit, which also sizes the memory it reserves for itself (allocatable()).
 */
export const NODE_USER_DATA = [
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="TIKETI"',
  '',
  '--TIKETI',
  'Content-Type: application/node.eks.aws',
  '',
  '---',
  'apiVersion: node.eks.aws/v1alpha1',
  'kind: NodeConfig',
  'spec:',
  '  kubelet:',
  '    config:',
  `      maxPods: ${MAX_PODS_PER_NODE}`,
  '',
  '--TIKETI--',
  '',
].join('\n');

export interface ClusterProps {
  config: EnvironmentConfig;
  vpc: ec2.IVpc;
}

/**
 * The EKS cluster with the seed's node groups, labelled for the manifests' node selectors
 * (`node-group: <role>` and `node.tiketi.gg/<role>: "true"`). No kubectl Lambda is created:
 * Kubernetes objects come from deploy/k8s, not from here.
 */
export class Cluster extends Construct {
  readonly cluster: eks.Cluster;
  readonly adminRole: iam.Role;
  readonly autoscalerRole: iam.Role;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    const { config, vpc } = props;

    // EKS writes control-plane logs to this group; creating it first gives it a retention instead of "forever".
    const controlPlaneLogs = new logs.LogGroup(this, 'ControlPlaneLogs', {
      logGroupName: `/aws/eks/${config.clusterName}/cluster`,
      retention: config.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.adminRole = new iam.Role(this, 'AdminRole', {
      roleName: `${config.clusterName}-cluster-admin`,
      description: `Cluster admin for ${config.clusterName}; people assume it to run kubectl apply`,
      assumedBy: new iam.AccountRootPrincipal(),
    });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: config.clusterName,
      version: eks.KubernetesVersion.of(config.kubernetesVersion),
      vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      // Nodes use the private endpoint; from outside the VPC only the listed ranges (operators, deploy
      // runners) reach the API server at all, and every caller still needs an access entry.
      endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...config.clusterApiAccessCidrs),
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      mastersRole: this.adminRole,
      secretsEncryptionKey: new kms.Key(this, 'SecretsKey', {
        description: `Envelope encryption of Kubernetes Secrets in ${config.clusterName}`,
        enableKeyRotation: true,
      }),
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
      ],
    });
    this.cluster.node.addDependency(controlPlaneLogs);
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason: 'aws-eks-v2 writes EncryptionConfig.Resources ["secrets"], which EKS still requires',
    });

    const launchTemplate = new ec2.LaunchTemplate(this, 'NodeLaunchTemplate', {
      userData: ec2.UserData.custom(NODE_USER_DATA),
      requireImdsv2: true,
      httpPutResponseHopLimit: 2,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }),
        },
      ],
    });
    const nodegroups = config.nodeGroups.map((group) =>
      this.cluster.addNodegroupCapacity(group.role, {
        // No fixed name: changing instance types replaces a node group, and CloudFormation cannot
        // replace a resource whose name it must keep.
        instanceTypes: group.instanceTypes.map((type) => new ec2.InstanceType(type)),
        desiredSize: group.desired,
        minSize: group.min,
        maxSize: group.max,
        capacityType: group.spot ? eks.CapacityType.SPOT : eks.CapacityType.ON_DEMAND,
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
        launchTemplateSpec: {
          id: launchTemplate.launchTemplateId as string,
          version: launchTemplate.latestVersionNumber,
        },
        labels: labelsOf(group),
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        enableNodeAutoRepair: true,
      }),
    );

    // EKS tags each node group's Auto Scaling group k8s.io/cluster-autoscaler/<cluster>=owned; the
    // autoscaler (kube-system:cluster-autoscaler) may resize those groups and no other.
    this.autoscalerRole = new iam.Role(this, 'AutoscalerRole', {
      roleName: `tiketi-${config.name}-cluster-autoscaler`,
      description: `Cluster Autoscaler of ${config.clusterName}: resizes its node groups`,
      assumedBy: serviceAccountPrincipal(
        this,
        'Autoscaler',
        this.cluster,
        'kube-system',
        'cluster-autoscaler',
      ),
    });
    this.autoscalerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: ['*'],
        conditions: {
          StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${config.clusterName}`]: 'owned' },
        },
      }),
    );
    this.autoscalerRole.addToPolicy(
      new iam.PolicyStatement({
        // Describe calls cannot be scoped to a resource.
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
          'eks:DescribeNodegroup',
        ],
        resources: ['*'],
      }),
    );

    this.addAddons(config, nodegroups);
  }

  private addAddons(config: EnvironmentConfig, nodegroups: eks.Nodegroup[]): void {
    const clusterName = this.cluster.clusterName;
    // EKS installs these unmanaged at creation; taking them over (OVERWRITE) lets EKS upgrade them.
    new eks.CfnAddon(this, 'VpcCni', {
      clusterName,
      addonName: 'vpc-cni',
      resolveConflicts: 'OVERWRITE',
      // A t3.small has addresses for 11 pods with one IP per pod; /28 prefixes per ENI lift that limit,
      // which the seed's small nodes need to hold ten services plus monitoring and daemons.
      configurationValues: JSON.stringify({
        env: { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1' },
      }),
    });
    new eks.CfnAddon(this, 'KubeProxy', {
      clusterName,
      addonName: 'kube-proxy',
      resolveConflicts: 'OVERWRITE',
    });
    // Deployments (not DaemonSets): they only turn healthy once nodes have joined.
    for (const [id, addonName] of [
      ['CoreDns', 'coredns'],
      ['MetricsServer', 'metrics-server'],
    ] as const) {
      const addon = new eks.CfnAddon(this, id, { clusterName, addonName, resolveConflicts: 'OVERWRITE' });
      for (const group of nodegroups) addon.node.addDependency(group);
    }

    // RabbitMQ's StatefulSet (and Prometheus) keep their data on EBS volumes provisioned by this driver.
    const ebsCsiRole = new iam.Role(this, 'EbsCsiRole', {
      roleName: `tiketi-${config.name}-ebs-csi`,
      assumedBy: serviceAccountPrincipal(
        this,
        'EbsCsi',
        this.cluster,
        'kube-system',
        'ebs-csi-controller-sa',
      ),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEBSCSIDriverPolicy')],
    });
    const ebsCsi = new eks.CfnAddon(this, 'EbsCsi', {
      clusterName,
      addonName: 'aws-ebs-csi-driver',
      resolveConflicts: 'OVERWRITE',
      serviceAccountRoleArn: ebsCsiRole.roleArn,
    });
    for (const group of nodegroups) ebsCsi.node.addDependency(group);
  }
}

function labelsOf(group: NodeGroupSpec): Record<string, string> {
  const roles = group.serves ?? [group.role];
  return {
    [NODE_GROUP_LABEL]: group.role,
    ...Object.fromEntries(roles.map((role) => [nodeRoleLabel(role), 'true'])),
  };
}

/**
 * IAM roles for service accounts: only the named ServiceAccount in the named namespace of this cluster
 * can assume the role, through the cluster's OIDC provider.
 */
export function serviceAccountPrincipal(
  scope: Construct,
  id: string,
  cluster: eks.Cluster,
  namespace: string,
  serviceAccount: string,
): iam.IPrincipal {
  const provider = cluster.openIdConnectProvider;
  const issuer = provider.openIdConnectProviderIssuer;
  // The issuer is only known at deploy time and appears in condition keys, which CloudFormation
  // cannot template; CfnJson resolves it during deployment.
  const conditions = new CfnJson(scope, `${id}TrustConditions`, {
    value: {
      [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
      [`${issuer}:aud`]: 'sts.amazonaws.com',
    },
  });
  return new iam.OpenIdConnectPrincipal(provider, { StringEquals: conditions });
}
