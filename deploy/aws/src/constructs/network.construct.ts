import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { type EnvironmentConfig, SUBNET_CIDRS, VPC_CIDR } from '../environments.ts';

/**
 * The seed's VPC: public subnets for the load balancer and NAT, private subnets for the EKS nodes and
 * pods, and isolated subnets (no route to the internet either way) for PostgreSQL and Redis.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      availabilityZones: config.availabilityZones,
      natGateways: config.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });

    // CDK packs subnets back to back; the seed numbers them (10.0.1.0/24 public, 10.0.10.0/24 private),
    // and operators read those numbers in security group rules and flow logs, so keep them.
    setCidrs(this.vpc.publicSubnets, SUBNET_CIDRS.public);
    setCidrs(this.vpc.privateSubnets, SUBNET_CIDRS.private);
    setCidrs(this.vpc.isolatedSubnets, SUBNET_CIDRS.data);

    // S3 traffic (media uploads, image pulls' layers) stays off the NAT gateway and its per-GB charge.
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  }
}

function setCidrs(subnets: ec2.ISubnet[], cidrFor: (azIndex: number) => string): void {
  subnets.forEach((subnet, index) => {
    (subnet.node.defaultChild as ec2.CfnSubnet).cidrBlock = cidrFor(index);
  });
}
