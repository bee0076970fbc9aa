import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

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
}

/**
 * A private S3 bucket served only through CloudFront with origin access control: the bucket blocks
 * all public access, and its policy lets this one distribution read it, nobody else.
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

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: props.domainName,
      domainNames: [props.domainName],
      certificate: props.certificate,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: true,
      },
      defaultRootObject: props.singlePageApp ? 'index.html' : undefined,
      errorResponses: props.singlePageApp
        ? [403, 404].map((httpStatus) => ({
            httpStatus,
            responseHttpStatus: 200,
            responsePagePath: '/index.html',
            ttl: Duration.seconds(10),
          }))
        : [],
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
