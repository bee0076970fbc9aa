import { Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './environments.ts';

export interface EdgeCertificatesStackProps extends StackProps {
  config: EnvironmentConfig;
  zone: route53.IHostedZone;
}

/**
 * CloudFront takes certificates from us-east-1 only, so the web and media names get theirs here; the
 * environment stack in Seoul receives it through a cross-region reference.
 */
export class EdgeCertificatesStack extends Stack {
  readonly certificate: acm.Certificate;

  constructor(scope: Construct, id: string, props: EdgeCertificatesStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const { domains } = props.config;
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: domains.web,
      subjectAlternativeNames: [domains.media],
      validation: acm.CertificateValidation.fromDns(props.zone),
    });
  }
}
