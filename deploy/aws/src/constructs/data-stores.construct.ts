import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments.ts';
import { accessOf, type BackendService, backendServiceNames } from '../services.ts';

export interface DataStoresProps {
  config: EnvironmentConfig;
  vpc: ec2.IVpc;
  /** The cluster's security group: pods on managed node groups use it. Only it may reach the stores. */
  clients: ec2.ISecurityGroup;
}

const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;
// Passwords go into connection URLs (DATABASE_URL, REDIS_URL); characters with a meaning there are left out.
const URL_UNSAFE = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\,=^';

/**
 * RDS PostgreSQL (one server, one database per owning service: no service reads another's tables) and ElastiCache Redis,
 * both in the isolated subnets, encrypted at rest and in transit, reachable only from the cluster.
 */
export class DataStores extends Construct {
  readonly database: rds.DatabaseInstance;
  /** The master login: for the one-time creation of service logins and for operators, not for pods. */
  readonly masterSecret: secretsmanager.ISecret;
  /** One login per database-owning service, so a service can open its own database and no other. */
  readonly serviceDatabaseSecrets: Partial<Record<BackendService, secretsmanager.ISecret>>;
  /** A login for postgres_exporter, granted pg_monitor and nothing else (README, "Database logins"). */
  readonly monitoringDatabaseSecret: secretsmanager.ISecret;
  readonly redis: elasticache.CfnReplicationGroup;
  readonly redisSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataStoresProps) {
    super(scope, id);
    const { config, vpc, clients } = props;
    const prefix = `tiketi/${config.name}`;
    const dataSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc,
      description: 'PostgreSQL: reachable from the EKS cluster only',
      allowAllOutbound: false,
    });
    databaseSecurityGroup.addIngressRule(clients, ec2.Port.tcp(POSTGRES_PORT), 'EKS pods');

    this.database = new rds.DatabaseInstance(this, 'Postgres', {
      instanceIdentifier: `tiketi-${config.name}`,
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: new ec2.InstanceType(config.database.instanceType),
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [databaseSecurityGroup],
      publiclyAccessible: false,
      multiAz: config.database.multiAz,
      storageType: rds.StorageType.GP3,
      allocatedStorage: config.database.allocatedStorageGb,
      maxAllocatedStorage: config.database.maxAllocatedStorageGb,
      storageEncrypted: true,
      credentials: rds.Credentials.fromGeneratedSecret('tiketi_admin', {
        secretName: `${prefix}/database`,
        excludeCharacters: URL_UNSAFE,
      }),
      backupRetention: Duration.days(config.database.backupRetentionDays),
      preferredBackupWindow: '18:00-19:00', // 03:00-04:00 KST, far from any ticket drop
      preferredMaintenanceWindow: 'mon:19:00-mon:20:00',
      deleteAutomatedBackups: !config.protectData,
      deletionProtection: config.protectData,
      removalPolicy: config.protectData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: config.logRetentionDays,
      parameters: {
        'rds.force_ssl': '1',
        // Connections per service pool × replicas add up; log the slow queries a ticket drop exposes.
        log_min_duration_statement: '500',
      },
    });
    if (!this.database.secret) throw new Error('the database must have a generated master secret');
    this.masterSecret = this.database.secret;

    this.serviceDatabaseSecrets = {};
    for (const service of backendServiceNames) {
      const access = accessOf(service);
      if (!access.database) continue;
      const secret = new rds.DatabaseSecret(this, `DatabaseSecret-${service}`, {
        secretName: `${prefix}/database/${service}`,
        username: `tiketi_${service}`,
        dbname: access.database,
        excludeCharacters: URL_UNSAFE,
      });
      // Attaching adds host, port and engine to the secret, so it alone builds the DATABASE_URL.
      this.serviceDatabaseSecrets[service] = secret.attach(this.database);
    }

    this.monitoringDatabaseSecret = new rds.DatabaseSecret(this, 'DatabaseSecret-monitoring', {
      secretName: `${prefix}/database/monitoring`,
      username: 'tiketi_monitoring',
      dbname: 'postgres',
      excludeCharacters: URL_UNSAFE,
    }).attach(this.database);

    const cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc,
      description: 'Redis: reachable from the EKS cluster only',
      allowAllOutbound: false,
    });
    cacheSecurityGroup.addIngressRule(clients, ec2.Port.tcp(REDIS_PORT), 'EKS pods');

    const cacheSubnets = new elasticache.CfnSubnetGroup(this, 'CacheSubnets', {
      description: `tiketi ${config.name} Redis`,
      subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
    });

    this.redisSecret = new secretsmanager.Secret(this, 'RedisSecret', {
      secretName: `${prefix}/redis`,
      description: 'Redis AUTH token (REDIS_URL is rediss://:<token>@<primary endpoint>:6379)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'token',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });

    const replicated = config.cache.nodes > 1;
    this.redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupId: `tiketi-${config.name}`,
      replicationGroupDescription: `tiketi ${config.name}: seat locks, caches, waiting room, counters`,
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: config.cache.nodeType,
      numCacheClusters: config.cache.nodes,
      automaticFailoverEnabled: replicated,
      multiAzEnabled: replicated,
      cacheSubnetGroupName: cacheSubnets.ref,
      securityGroupIds: [cacheSecurityGroup.securityGroupId],
      port: REDIS_PORT,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: this.redisSecret.secretValueFromJson('token').unsafeUnwrap(),
      snapshotRetentionLimit: config.protectData ? 7 : 0,
      snapshotWindow: '17:00-18:00',
      preferredMaintenanceWindow: 'mon:20:00-mon:21:00',
      autoMinorVersionUpgrade: true,
    });
    this.redis.applyRemovalPolicy(config.protectData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY);
  }
}
