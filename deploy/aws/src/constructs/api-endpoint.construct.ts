import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface ApiEndpointProps {
  domainName: string;
  zone: route53.IHostedZone;
  vpc: ec2.IVpc;
  /** Security group of the pods behind it (the cluster's). */
  backends: ec2.ISecurityGroup;
  /** The ingress controller's HTTP container port: its pods are registered by IP on this port. */
  port: number;
}

/**
 * The seed's ALB: TLS termination (ACM) and health checks in front of the cluster's NGINX ingress,
 * which routes hosts and paths (and the canary weight) to the services. The ALB is owned here, not by
 * a Kubernetes Service, so its DNS record and certificate are plain CloudFormation; inside the cluster a
 * TargetGroupBinding (AWS Load Balancer Controller) keeps the ingress-nginx pods registered in `targetGroup`.
 */
export class ApiEndpoint extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: ApiEndpointProps) {
    super(scope, id);

    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.domainName,
      validation: acm.CertificateValidation.fromDns(props.zone),
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      // Socket.IO pings every 25 s; a minute of silence means the client is gone.
      idleTimeout: Duration.seconds(60),
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Ingress', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: props.port,
      deregistrationDelay: Duration.seconds(20),
      healthCheck: {
        // ingress-nginx's default server answers this itself, whatever the routes.
        path: '/healthz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    this.loadBalancer.addListener('Https', {
      port: 443,
      certificates: [certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      defaultTargetGroups: [this.targetGroup],
    });
    this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });

    // Pods get VPC addresses and wear the node's security group, so this rule is what lets the ALB in.
    props.backends.connections.allowFrom(
      this.loadBalancer,
      ec2.Port.tcp(props.port),
      'ALB to ingress-nginx pods',
    );

    new route53.ARecord(this, 'Alias', {
      zone: props.zone,
      recordName: props.domainName,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
    });
  }
}
