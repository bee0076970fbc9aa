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

export type NodeGroupRole = 'application' | 'stateful' | 'data' | 'system';
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
  max: number;
  spot: boolean;
  /** The roles whose pods this group runs (its own by default). */
  serves?: NodeGroupRole[];
}

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
    web: string;
    api: string;
    media: string;
  };
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
    // The seed's single staging pool runs every role's pods.
    {
      role: 'application',
      instanceTypes: ['t3.small', 't3a.small'],
      desired: 2,
      min: 2,
      max: 3,
      spot: true,
      serves: ['application', 'stateful', 'data', 'system'],
    },
  ],
  database: {
    instanceType: 't3.micro',
    multiAz: false,
    allocatedStorageGb: 20,
    maxAllocatedStorageGb: 50,
    backupRetentionDays: 1,
  },
  cache: { nodeType: 'cache.t3.micro', nodes: 1 },
  domains: {
    web: `staging.${ROOT_DOMAIN}`,
    api: `api.staging.${ROOT_DOMAIN}`,
    media: `media.staging.${ROOT_DOMAIN}`,
  },
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
    { role: 'application', instanceTypes: ['t3.medium'], desired: 3, min: 3, max: 6, spot: false },
    { role: 'stateful', instanceTypes: ['t3.small'], desired: 2, min: 2, max: 4, spot: false },
    { role: 'data', instanceTypes: ['t3.medium'], desired: 2, min: 2, max: 3, spot: false },
    { role: 'system', instanceTypes: ['t3.small'], desired: 2, min: 2, max: 3, spot: false },
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
    api: `api.${ROOT_DOMAIN}`,
    media: `media.${ROOT_DOMAIN}`,
  },
  protectData: true,
  logRetentionDays: 30,
};

export const environments: Record<EnvironmentName, EnvironmentConfig> = { staging, production };
