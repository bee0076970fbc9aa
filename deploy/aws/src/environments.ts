/**
 * The seed's "Multi-Environment Architecture" as data: everything that differs between staging and
 * production lives here, so the constructs read the same for both and a reviewer compares two objects.
 */

export const REGION = 'ap-northeast-2';
/** CloudFront only accepts certificates issued in this region. */
export const EDGE_CERTIFICATE_REGION = 'us-east-1';
export const ROOT_DOMAIN = 'tiketi.gg';
export const VPC_CIDR = '10.0.0.0/16';

export type EnvironmentName = 'staging' | 'production';

/**
 * The seed's fourth group, `data`, ran PostgreSQL and Redis; RDS and ElastiCache run them now, so no pod
 * asks for it and no environment pays for it (README, "Monthly cost").
 */
export type NodeGroupRole = 'application' | 'stateful' | 'system';
/** Every node says which group it is in: `node-group: application`. */
export const NODE_GROUP_LABEL = 'node-group';
/**
 * deploy/k8s selects on one boolean label per role (`node.tiketi.gg/system: "true"`), so a node can
 * serve several roles: the single staging pool carries all four.
 */
export const nodeRoleLabel = (role: NodeGroupRole) => `node.tiketi.gg/${role}`;

export interface NodeGroupSpec {
  role: NodeGroupRole;
  /** Spot groups list more than one type so a shortage of one does not leave the group empty. */
  instanceTypes: string[];
  desired: number;
  min: number;
  /** The Cluster Autoscaler grows the group up to this when pods stay Pending (an HPA scaled out). */
  max: number;
  spot: boolean;
  /** The roles whose pods this group runs (its own by default). */
  serves?: NodeGroupRole[];
}

/** What one instance type brings: vCPUs and memory (MiB) as the kubelet sees it. */
export const INSTANCE_CAPACITY: Record<string, { vcpu: number; memoryMi: number }> = {
  't3.small': { vcpu: 2, memoryMi: 1_940 },
  't3a.small': { vcpu: 2, memoryMi: 1_940 },
  't3.medium': { vcpu: 2, memoryMi: 3_900 },
  't3a.medium': { vcpu: 2, memoryMi: 3_900 },
  't3.large': { vcpu: 2, memoryMi: 7_900 },
  't3a.large': { vcpu: 2, memoryMi: 7_900 },
};

/**
 * Pods per node, set in each node's kubelet (cluster.construct.ts). With prefix delegation EKS would
 * otherwise allow 110 on these sizes and reserve 11 MiB of memory per allowed pod for the kubelet: on a
 * t3.small that leaves under 400 MiB for pods.
 */
export const MAX_PODS_PER_NODE = 32;

/**
 * What pods can request on a node of this type: the capacity less what Amazon Linux 2023 reserves for
 * the kubelet and system (CPU: 6 % of the first core, 1 % of the second, 0.5 % of the next two; memory:
 * 255 MiB + 11 MiB per allowed pod) and the 100 MiB hard eviction threshold.
 */
export function allocatable(instanceType: string): { cpuMillis: number; memoryMi: number; pods: number } {
  const capacity = INSTANCE_CAPACITY[instanceType];
  if (!capacity) throw new Error(`no capacity known for instance type ${instanceType}`);
  const coreShares = [0.06, 0.01, 0.005, 0.005];
  const reservedCpu = coreShares.slice(0, capacity.vcpu).reduce((sum, share) => sum + share * 1000, 0);
  const reservedMemory = 255 + 11 * MAX_PODS_PER_NODE + 100;
  return {
    cpuMillis: capacity.vcpu * 1000 - reservedCpu,
    memoryMi: capacity.memoryMi - reservedMemory,
    pods: MAX_PODS_PER_NODE,
  };
}

/**
 * PostgreSQL's max_connections on RDS is LEAST(DBInstanceClassMemory / 9531392, 5000); these are the
 * values the instance classes report (DBInstanceClassMemory is less than the nominal memory).
 */
export const DATABASE_MAX_CONNECTIONS: Record<string, number> = {
  't3.micro': 81,
  't3.small': 189,
  't3.medium': 408,
};

/** Connections kept back for RDS's own superuser sessions, the exporter and an operator's psql. */
export const DATABASE_RESERVED_CONNECTIONS = 15;

/**
 * CloudFront's origin-facing addresses in ap-northeast-2 (managed prefix list
 * com.amazonaws.global.cloudfront.origin-facing): the only sources the API's load balancer admits.
 */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = 'pl-22a6434b';

export interface EnvironmentConfig {
  name: EnvironmentName;
  clusterName: string;
  /** Where the application's Deployments and ServiceAccounts live. */
  appNamespace: string;
  /** Where RabbitMQ runs (in-cluster StatefulSet). */
  dataNamespace: string;
  availabilityZones: string[];
  natGateways: number;
  kubernetesVersion: string;
  nodeGroups: NodeGroupSpec[];
  database: {
    instanceType: string;
    multiAz: boolean;
    allocatedStorageGb: number;
    maxAllocatedStorageGb: number;
    backupRetentionDays: number;
  };
  cache: {
    nodeType: string;
    /** One primary plus replicas (cluster mode off): the kit's single-connection client and Lua scripts need one keyspace. */
    nodes: number;
  };
  domains: {
    /** The one front door: CloudFront with the web app, and /api, /media, /queue passed to the cluster. */
    web: string;
    /** The API load balancer's own name, for CloudFront to reach it over TLS; it admits only CloudFront. */
    origin: string;
    media: string;
  };
  /**
   * Who may reach the EKS API endpoint from outside the VPC: the operators' and the deploy runners' egress
   * addresses (documentation ranges here until set). Never 0.0.0.0/0.
   */
  clusterApiAccessCidrs: string[];
  /** Deletion protection, snapshots on delete and retained buckets: production data outlives its stack. */
  protectData: boolean;
  logRetentionDays: number;
}

/** Public subnets 10.0.1.0/24, 10.0.2.0/24, …; private 10.0.10.0/24, …; data 10.0.20.0/24, … (one per AZ). */
export const SUBNET_CIDRS = {
  public: (azIndex: number) => `10.0.${1 + azIndex}.0/24`,
  private: (azIndex: number) => `10.0.${10 + azIndex}.0/24`,
  data: (azIndex: number) => `10.0.${20 + azIndex}.0/24`,
};

export const staging: EnvironmentConfig = {
  name: 'staging',
  clusterName: 'tiketi-staging',
  appNamespace: 'tiketi-staging',
  dataNamespace: 'tiketi-data',
  // EKS needs subnets in two AZs; staging stops there.
  availabilityZones: ['ap-northeast-2a', 'ap-northeast-2c'],
  natGateways: 1,
  kubernetesVersion: '1.35',
  nodeGroups: [
    // The seed's single staging pool runs every role's pods. Two t3.small nodes could not hold them
    // (deploy/test/capacity.test.ts): t3.large spot holds the services, monitoring and the add-ons.
    {
      role: 'application',
      instanceTypes: ['t3.large', 't3a.large'],
      desired: 2,
      min: 2,
      max: 4,
      spot: true,
      serves: ['application', 'stateful', 'system'],
    },
  ],
  // A db.t3.micro allows 81 connections: not enough for two pods of seven services with pools of three.
  database: {
    instanceType: 't3.small',
    multiAz: false,
    allocatedStorageGb: 20,
    maxAllocatedStorageGb: 50,
    backupRetentionDays: 1,
  },
  cache: { nodeType: 'cache.t3.micro', nodes: 1 },
  domains: {
    web: `staging.${ROOT_DOMAIN}`,
    origin: `origin.staging.${ROOT_DOMAIN}`,
    media: `media.staging.${ROOT_DOMAIN}`,
  },
  clusterApiAccessCidrs: ['203.0.113.0/24'],
  protectData: false,
  logRetentionDays: 7,
};

export const production: EnvironmentConfig = {
  name: 'production',
  clusterName: 'tiketi-prod',
  appNamespace: 'tiketi-production',
  dataNamespace: 'tiketi-data',
  availabilityZones: ['ap-northeast-2a', 'ap-northeast-2b', 'ap-northeast-2c'],
  // One NAT per AZ: payments call Toss through it, and an AZ outage must not cut that path.
  natGateways: 3,
  kubernetesVersion: '1.35',
  nodeGroups: [
    { role: 'application', instanceTypes: ['t3.medium'], desired: 3, min: 3, max: 9, spot: false },
    { role: 'stateful', instanceTypes: ['t3.small'], desired: 2, min: 2, max: 4, spot: false },
    // Monitoring, RabbitMQ and the add-ons need about 2 cores and 4 GiB: two t3.small cannot hold them.
    { role: 'system', instanceTypes: ['t3.medium'], desired: 2, min: 2, max: 3, spot: false },
  ],
  database: {
    instanceType: 't3.medium',
    multiAz: true,
    allocatedStorageGb: 50,
    maxAllocatedStorageGb: 200,
    backupRetentionDays: 7,
  },
  cache: { nodeType: 'cache.t3.micro', nodes: 3 },
  domains: {
    web: ROOT_DOMAIN,
    origin: `origin.${ROOT_DOMAIN}`,
    media: `media.${ROOT_DOMAIN}`,
  },
  clusterApiAccessCidrs: ['203.0.113.0/24'],
  protectData: true,
  logRetentionDays: 30,
};

export const environments: Record<EnvironmentName, EnvironmentConfig> = { staging, production };
