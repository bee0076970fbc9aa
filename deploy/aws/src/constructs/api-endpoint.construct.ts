import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST } from '../environments.ts';

/** The header CloudFront adds to every request it passes on; the load balancer forwards nothing without it. */
export const ORIGIN_VERIFY_HEADER = 'X-Tiketi-Origin-Verify';

export interface ApiEndpointProps {
  /** The load balancer's own name (origin.<domain>): CloudFront reaches it over TLS by this name. */
  domainName: string;
  zone: route53.IHostedZone;
  vpc: ec2.IVpc;
  /** Security group of the pods behind it (the cluster's). */
  backends: ec2.ISecurityGroup;
  /** The gateway's HTTP container port: its pods are registered by IP on this port. */
  port: number;
  /** The gateway's operations port, where it answers /readyz (and nothing of the API). */
  healthPort: number;
  /** Names the target group (tiketi-<env>-api) and the origin secret (tiketi/<env>/origin-verify). */
  environment: string;
}

/**
 * The API's load balancer, behind CloudFront only: its security group admits CloudFront's origin-facing
 * addresses alone, and its listener forwards only requests carrying the secret header CloudFront adds, so
 * neither a direct visitor nor another CloudFront distribution gets past it (answered 403). TLS ends here
 * with an ACM certificate; inside the cluster the AWS Load Balancer Controller keeps the gateway's pod IPs
 * registered in `targetGroup` (TargetGroupBinding `gateway`, deploy/k8s/base/gateway-ingress.yaml).
 */
export class ApiEndpoint extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The value of ORIGIN_VERIFY_HEADER, shared by CloudFront and this listener. */
  readonly originSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ApiEndpointProps) {
    super(scope, id);

    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.domainName,
      validation: acm.CertificateValidation.fromDns(props.zone),
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'API load balancer: HTTPS from CloudFront only',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(
      ec2.Peer.prefixList(CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST),
      ec2.Port.tcp(443),
      'CloudFront origin-facing addresses',
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup,
      dropInvalidHeaderFields: true,
      // Socket.IO pings every 25 s; a minute of silence means the client is gone.
      idleTimeout: Duration.seconds(60),
    });
    // CloudFront has put the viewer's address into X-Forwarded-For; appending CloudFront's own would make the
    // gateway see an edge location as the client. The gateway trusts only this load balancer's subnets.
    this.loadBalancer.setAttribute('routing.http.xff_header_processing.mode', 'preserve');

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Gateway', {
      vpc: props.vpc,
      targetGroupName: `tiketi-${props.environment}-api`,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: props.port,
      deregistrationDelay: Duration.seconds(20),
      healthCheck: {
        // Readiness, as the kubelet asks it: a pod that is shutting down or lost Redis leaves the group.
        port: String(props.healthPort),
        path: '/readyz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    this.originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
      secretName: `tiketi/${props.environment}/origin-verify`,
      description: `Value of ${ORIGIN_VERIFY_HEADER}: CloudFront sends it, the API load balancer requires it`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const listener = this.loadBalancer.addListener('Https', {
      port: 443,
      open: false,
      certificates: [certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      defaultAction: elbv2.ListenerAction.fixedResponse(403, {
        contentType: 'text/plain',
        messageBody: 'Forbidden',
      }),
    });
    listener.addAction('FromCloudFront', {
      priority: 1,
      conditions: [
        elbv2.ListenerCondition.httpHeader(ORIGIN_VERIFY_HEADER, [
          this.originSecret.secretValue.unsafeUnwrap(),
        ]),
      ],
      action: elbv2.ListenerAction.forward([this.targetGroup]),
    });

    // Pods get VPC addresses and wear the cluster's security group, so this rule is what lets the ALB in.
    props.backends.connections.allowFrom(
      this.loadBalancer,
      ec2.Port.tcp(props.port),
      'API load balancer to gateway pods',
    );
    props.backends.connections.allowFrom(
      this.loadBalancer,
      ec2.Port.tcp(props.healthPort),
      'API load balancer health checks of gateway pods',
    );

    new route53.ARecord(this, 'Alias', {
      zone: props.zone,
      recordName: props.domainName,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
    });
  }
}
