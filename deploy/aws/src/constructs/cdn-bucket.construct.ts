import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from './api-endpoint.construct.ts';

/**
 * The browser router's paths (/events/42, /my/tickets) are not files: the viewer-request function sends any
 * path whose last segment has no dot to /index.html. Done per request on the bucket's behaviour only; a
 * distribution-wide error page would also turn the API's own 403 and 404 answers into the web app.
 */
export const SPA_ROUTER_FUNCTION = `function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}`;

/** The paths CloudFront passes to the API's load balancer; everything else is the web app's files. */
export const API_PATHS = ['/api/*', '/media/*', '/queue/*'];

export interface CdnBucketProps {
  domainName: string;
  /** A fixed name where something outside this stack refers to the bucket by name. */
  bucketName?: string;
  certificate: acm.ICertificate;
  zone: route53.IHostedZone;
  /** The web app routes in the browser: unknown paths get index.html instead of S3's 403. */
  singlePageApp: boolean;
  /** Keep the bucket (and its files) when the stack is deleted. */
  retain: boolean;
  /** The API behind the same name: API_PATHS go to this origin (the load balancer), uncached. */
  api?: { domainName: string; originSecret: secretsmanager.ISecret };
  /** The WAF web ACL (us-east-1) every request passes first. */
  webAclArn?: string;
  /** The pages' security headers on what the bucket serves (CSP, frame, nosniff, referrer, HSTS). */
  contentSecurityPolicy?: string;
}

/**
 * A private S3 bucket served only through CloudFront with origin access control: the bucket blocks
 * all public access, and its policy lets this one distribution read it, nobody else. With `api`, the same
 * distribution is the site's one front door: the web app from the bucket, the API from the load balancer.
 */
export class CdnBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: CdnBucketProps) {
    super(scope, id);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: props.retain,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !props.retain,
      lifecycleRules: props.retain
        ? [
            {
              noncurrentVersionExpiration: Duration.days(30),
              abortIncompleteMultipartUploadAfter: Duration.days(1),
            },
          ]
        : [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });

    const responseHeadersPolicy = props.contentSecurityPolicy
      ? new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
          comment: `${props.domainName}: the pages' security headers`,
          securityHeadersBehavior: {
            contentSecurityPolicy: { contentSecurityPolicy: props.contentSecurityPolicy, override: true },
            frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
            contentTypeOptions: { override: true },
            referrerPolicy: {
              referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
              override: true,
            },
            strictTransportSecurity: {
              accessControlMaxAge: Duration.days(365),
              includeSubdomains: true,
              override: true,
            },
          },
        })
      : undefined;

    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    if (props.api) {
      // Every viewer header, cookie and query string goes to the API, nothing is cached, websockets
      // (Socket.IO under /queue) pass through; the secret header proves to the load balancer it is us.
      const apiOrigin = new origins.HttpOrigin(props.api.domainName, {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        readTimeout: Duration.seconds(60),
        keepaliveTimeout: Duration.seconds(60),
        customHeaders: { [ORIGIN_VERIFY_HEADER]: props.api.originSecret.secretValue.unsafeUnwrap() },
      });
      for (const path of API_PATHS) {
        additionalBehaviors[path] = {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: true,
        };
      }
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: props.domainName,
      domainNames: [props.domainName],
      certificate: props.certificate,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        responseHeadersPolicy,
        functionAssociations: props.singlePageApp
          ? [
              {
                eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
                function: new cloudfront.Function(this, 'Router', {
                  comment: 'Browser-router paths to /index.html',
                  code: cloudfront.FunctionCode.fromInline(SPA_ROUTER_FUNCTION),
                  runtime: cloudfront.FunctionRuntime.JS_2_0,
                }),
              },
            ]
          : undefined,
      },
      additionalBehaviors,
      webAclId: props.webAclArn,
      defaultRootObject: props.singlePageApp ? 'index.html' : undefined,
      // Class 200 includes the Korean and Japanese edge locations where the fans are; class 100 does not.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });

    const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
    const recordName = props.domainName;
    new route53.ARecord(this, 'Alias', { zone: props.zone, recordName, target });
    new route53.AaaaRecord(this, 'AliasV6', { zone: props.zone, recordName, target });
  }
}
