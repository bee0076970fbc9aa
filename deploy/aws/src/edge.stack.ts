import { Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './environments.ts';

export interface EdgeStackProps extends StackProps {
  config: EnvironmentConfig;
  zone: route53.IHostedZone;
}

/** Requests per client address the WAF lets through before answering 429 (deploy/aws/README.md, "WAF"). */
export const RATE_LIMITS = {
  /** Everything from one address, per 5 minutes: a browser in a ticket drop stays far below. */
  perAddress: { limit: 6000, windowSeconds: 300 },
  /**
   * Sign-in, registration and password reset, per 5 minutes: a script spraying them. Many fans share one
   * address (carrier-grade NAT, a venue's Wi-Fi) and sign in together at a drop, so this stays above what the
   * gateway lets one address do (60 sign-ins and sign-ups and 10 password requests a minute); guessing one
   * account is the user service's to slow, per account. Token refreshes and sign-outs are not counted: every
   * signed-in fan behind the address sends them.
   */
  signIn: {
    limit: 400,
    windowSeconds: 300,
    paths: ['/api/auth/login', '/api/auth/register', '/api/auth/password'],
  },
  /** Seat holds and waiting-room joins, per minute: a script hammering the drop. */
  drop: { limit: 300, windowSeconds: 60, paths: ['/api/reservations', '/api/queue/'] },
} as const;

/**
 * What CloudFront takes from us-east-1 only: the certificate of the web and media names, and the WAF web
 * ACL every request to the site passes first (AWS's managed rules and per-address rate limits for the
 * drop). The environment stack in Seoul receives both through cross-region references.
 */
export class EdgeStack extends Stack {
  readonly certificate: acm.Certificate;
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const { domains, name } = props.config;
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: domains.web,
      subjectAlternativeNames: [domains.media],
      validation: acm.CertificateValidation.fromDns(props.zone),
    });

    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: `tiketi-${name}-${metricName}`,
      sampledRequestsEnabled: true,
    });
    const managed = (priority: number, ruleName: string, excluded: string[] = []) => ({
      name: ruleName,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: ruleName,
          // Rules that would block what the platform legitimately does are only counted.
          ruleActionOverrides: excluded.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
        },
      },
      visibilityConfig: visibility(ruleName),
    });
    const tooMany = { block: { customResponse: { responseCode: 429, customResponseBodyKey: 'too-many' } } };
    const pathStartsWith = (path: string) => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: path,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    const isPost = {
      byteMatchStatement: {
        fieldToMatch: { method: {} },
        positionalConstraint: 'EXACTLY',
        searchString: 'POST',
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    };
    const rateRule = (
      priority: number,
      ruleName: string,
      rate: { limit: number; windowSeconds: number },
      scopeDownStatement?: object,
    ) => ({
      name: ruleName,
      priority,
      action: tooMany,
      statement: {
        rateBasedStatement: {
          aggregateKeyType: 'IP',
          limit: rate.limit,
          evaluationWindowSec: rate.windowSeconds,
          scopeDownStatement,
        },
      },
      visibilityConfig: visibility(ruleName),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `tiketi-${name}`,
      description: `Tiketi ${name}: in front of CloudFront, for web, API and media`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      customResponseBodies: {
        'too-many': {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'about:blank',
            title: 'Too many requests',
            status: 429,
            code: 'RATE_LIMITED',
            detail: 'Too many requests from this address. Wait a moment and try again.',
          }),
        },
      },
      rules: [
        rateRule(0, 'rate-sign-in', RATE_LIMITS.signIn, {
          andStatement: {
            statements: [
              isPost,
              { orStatement: { statements: RATE_LIMITS.signIn.paths.map(pathStartsWith) } },
            ],
          },
        }),
        rateRule(1, 'rate-drop', RATE_LIMITS.drop, {
          andStatement: {
            statements: [isPost, { orStatement: { statements: RATE_LIMITS.drop.paths.map(pathStartsWith) } }],
          },
        }),
        rateRule(2, 'rate-per-address', RATE_LIMITS.perAddress),
        managed(3, 'AWSManagedRulesAmazonIpReputationList'),
        managed(4, 'AWSManagedRulesKnownBadInputsRuleSet'),
        // Media uploads are multipart bodies larger than the rule set's 8 KB.
        managed(5, 'AWSManagedRulesCommonRuleSet', ['SizeRestrictions_BODY']),
      ],
      visibilityConfig: visibility('web-acl'),
    });
  }
}
