import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER } from '../src/constructs/api-endpoint.construct.ts';
import { API_PATHS, SPA_ROUTER_FUNCTION } from '../src/constructs/cdn-bucket.construct.ts';
import { NODE_USER_DATA } from '../src/constructs/cluster.construct.ts';
import { RATE_LIMITS } from '../src/edge.stack.ts';
import {
  CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST,
  environments,
  MAX_PODS_PER_NODE,
  SUBNET_CIDRS,
} from '../src/environments.ts';
import { canReadSecret, resourcesOf, type Synthesized, statementsOf, synthesize } from './synth.ts';

type Behavior = {
  PathPattern: string;
  TargetOriginId: string;
  CachePolicyId: string;
  AllowedMethods: string[];
  FunctionAssociations?: unknown[];
};
type DistributionConfig = {
  Aliases: string[];
  Origins: {
    Id: string;
    DomainName: unknown;
    CustomOriginConfig?: { OriginProtocolPolicy: string };
    OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
  }[];
  DefaultCacheBehavior: Behavior & { ResponseHeadersPolicyId?: unknown };
  CacheBehaviors?: Behavior[];
  CustomErrorResponses?: unknown[];
  WebACLId?: unknown;
};

// CloudFront's managed CachingDisabled policy.
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';

describe('aws-front-door: one name for the web app and the API, behind WAF', () => {
  const config = environments.production;
  let synthesized: Synthesized;
  let site: DistributionConfig;
  beforeAll(() => {
    synthesized = synthesize('production');
    const distributions = Object.values(resourcesOf(synthesized.main, 'AWS::CloudFront::Distribution')).map(
      (d) => d.Properties.DistributionConfig as DistributionConfig,
    );
    const found = distributions.find((d) => d.Aliases.includes(config.domains.web));
    if (!found) throw new Error('no distribution serves the site name');
    site = found;
  });
  afterAll(() => synthesized?.cleanup());

  it('serves the web app from the bucket and passes /api, /media and /queue to the API load balancer, uncached', () => {
    const api = site.Origins.find((o) => o.DomainName === config.domains.origin);
    expect(api?.CustomOriginConfig?.OriginProtocolPolicy).toBe('https-only');
    expect(api?.OriginCustomHeaders?.map((h) => h.HeaderName)).toEqual([ORIGIN_VERIFY_HEADER]);
    const behaviors = site.CacheBehaviors ?? [];
    expect(behaviors.map((b) => b.PathPattern).sort()).toEqual([...API_PATHS].sort());
    expect(API_PATHS).toEqual(expect.arrayContaining(['/api/*', '/queue/*']));
    for (const behavior of behaviors) {
      expect(behavior.TargetOriginId).toBe(api?.Id);
      expect(behavior.CachePolicyId).toBe(CACHING_DISABLED);
      expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(['POST', 'PUT', 'DELETE', 'PATCH']));
    }
    const bucket = site.Origins.find((o) => o.Id === site.DefaultCacheBehavior.TargetOriginId);
    expect(bucket?.CustomOriginConfig).toBeUndefined();
  });

  it("routes the browser router's paths to index.html on the bucket alone, never rewriting the API's errors", () => {
    expect(site.CustomErrorResponses ?? []).toEqual([]);
    expect(site.DefaultCacheBehavior.FunctionAssociations).toHaveLength(1);
    const route = (uri: string) =>
      runInNewContext(`${SPA_ROUTER_FUNCTION}; handler({ request: { uri: ${JSON.stringify(uri)} } }).uri`);
    expect(route('/events/42')).toBe('/index.html');
    expect(route('/')).toBe('/index.html');
    expect(route('/my/tickets/')).toBe('/index.html');
    expect(route('/assets/index-3f2a.js')).toBe('/assets/index-3f2a.js');
    expect(route('/favicon.svg')).toBe('/favicon.svg');
  });

  it("sends the pages' security headers: the web image's CSP with the media name, DENY framing, nosniff", () => {
    const policies = Object.values(resourcesOf(synthesized.main, 'AWS::CloudFront::ResponseHeadersPolicy'));
    expect(policies).toHaveLength(1);
    const policyConfig = policies[0]?.Properties.ResponseHeadersPolicyConfig;
    const headers = (
      policyConfig as {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: string };
          FrameOptions: { FrameOption: string };
          ContentTypeOptions: unknown;
        };
      }
    ).SecurityHeadersConfig;
    const csp = headers.ContentSecurityPolicy.ContentSecurityPolicy;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(new RegExp(`img-src [^;]*https://${config.domains.media}`));
    expect(headers.FrameOptions.FrameOption).toBe('DENY');
    expect(headers.ContentTypeOptions).toBeDefined();
  });

  it('lets only CloudFront reach the load balancer: its prefix list on 443, and the secret header', () => {
    const { main } = synthesized;
    const [alb] = Object.values(resourcesOf(main, 'AWS::ElasticLoadBalancingV2::LoadBalancer'));
    const groups = alb?.Properties.SecurityGroups as { 'Fn::GetAtt': [string, string] }[];
    expect(groups).toHaveLength(1);
    const groupId = groups[0]?.['Fn::GetAtt'][0];
    const ingress = Object.values(resourcesOf(main, 'AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((rule) => JSON.stringify(rule.GroupId).includes(`"${groupId}"`));
    expect(ingress).toEqual([
      expect.objectContaining({ SourcePrefixListId: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, FromPort: 443 }),
    ]);
    expect(
      resourcesOf(main, 'AWS::EC2::SecurityGroup')[groupId ?? '']?.Properties.SecurityGroupIngress,
    ).toBeUndefined();
    const listeners = Object.values(resourcesOf(main, 'AWS::ElasticLoadBalancingV2::Listener'));
    expect(listeners.map((l) => l.Properties.Port)).toEqual([443]);
    expect(listeners[0]?.Properties.DefaultActions).toEqual([
      expect.objectContaining({
        Type: 'fixed-response',
        FixedResponseConfig: expect.objectContaining({ StatusCode: '403' }),
      }),
    ]);
    const rules = Object.values(resourcesOf(main, 'AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.Conditions).toEqual([
      expect.objectContaining({
        Field: 'http-header',
        HttpHeaderConfig: expect.objectContaining({ HttpHeaderName: ORIGIN_VERIFY_HEADER }),
      }),
    ]);
    // The header's value is the same secret on both sides.
    const api = site.Origins.find((o) => o.DomainName === config.domains.origin);
    const sent = JSON.stringify(api?.OriginCustomHeaders?.[0]?.HeaderValue);
    const conditions = rules[0]?.Properties.Conditions as { HttpHeaderConfig: { Values: unknown[] } }[];
    const required = JSON.stringify(conditions[0]?.HttpHeaderConfig.Values[0]);
    expect(sent).toContain('{{resolve:secretsmanager:');
    expect(sent).toContain('ApiOriginSecret');
    expect(sent).toBe(required);
  });

  it("keeps CloudFront's X-Forwarded-For as it is, for the gateway that trusts only the load balancer's subnets", () => {
    const [alb] = Object.values(resourcesOf(synthesized.main, 'AWS::ElasticLoadBalancingV2::LoadBalancer'));
    expect(alb?.Properties.LoadBalancerAttributes).toEqual(
      expect.arrayContaining([{ Key: 'routing.http.xff_header_processing.mode', Value: 'preserve' }]),
    );
    // The subnets the gateway's TRUSTED_PROXIES lists (ops-k8s checks the manifests against the same list).
    expect(config.availabilityZones.map((_, i) => SUBNET_CIDRS.public(i))).toEqual([
      '10.0.1.0/24',
      '10.0.2.0/24',
      '10.0.3.0/24',
    ]);
  });

  it('puts a WAF web ACL with rate limits for sign-in, the drop and every address in front of the site', () => {
    const { edge } = synthesized;
    const [acl] = Object.values(resourcesOf(edge, 'AWS::WAFv2::WebACL'));
    expect(acl?.Properties.Scope).toBe('CLOUDFRONT');
    const rules = acl?.Properties.Rules as {
      Name: string;
      Action?: { Block?: { CustomResponse: { ResponseCode: number } } };
      Statement: {
        RateBasedStatement?: { Limit: number; EvaluationWindowSec: number; AggregateKeyType: string };
        ManagedRuleGroupStatement?: { Name: string };
      };
    }[];
    const rate = Object.fromEntries(
      rules
        .filter((r) => r.Statement.RateBasedStatement)
        .map((r) => [r.Name, r.Statement.RateBasedStatement]),
    );
    expect(rate).toEqual({
      'rate-sign-in': {
        Limit: RATE_LIMITS.signIn.limit,
        EvaluationWindowSec: 300,
        AggregateKeyType: 'IP',
        ScopeDownStatement: expect.anything(),
      },
      'rate-drop': {
        Limit: RATE_LIMITS.drop.limit,
        EvaluationWindowSec: 60,
        AggregateKeyType: 'IP',
        ScopeDownStatement: expect.anything(),
      },
      'rate-per-address': {
        Limit: RATE_LIMITS.perAddress.limit,
        EvaluationWindowSec: 300,
        AggregateKeyType: 'IP',
      },
    });
    for (const rule of rules.filter((r) => r.Statement.RateBasedStatement))
      expect(rule.Action?.Block?.CustomResponse.ResponseCode).toBe(429);
    // Sign-ins, sign-ups and password requests only: the token refreshes of every fan behind a shared
    // address would otherwise use up its sign-ins.
    const signInScope = JSON.stringify(rules.find((r) => r.Name === 'rate-sign-in'));
    expect([...signInScope.matchAll(/"SearchString":"([^"]*)"/g)].map((m) => m[1])).toEqual([
      'POST',
      '/api/auth/login',
      '/api/auth/register',
      '/api/auth/password',
    ]);
    expect(rules.flatMap((r) => r.Statement.ManagedRuleGroupStatement?.Name ?? [])).toEqual(
      expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesAmazonIpReputationList']),
    );
    expect(JSON.stringify(site.WebACLId)).toMatch(/WebAcl|ExportsReader/);
  });

  it('opens the EKS API endpoint to the listed ranges only, never to the whole internet', () => {
    const [cluster] = Object.values(resourcesOf(synthesized.main, 'AWS::EKS::Cluster'));
    const access = cluster?.Properties.ResourcesVpcConfig as {
      EndpointPrivateAccess: boolean;
      PublicAccessCidrs: string[];
    };
    expect(access.EndpointPrivateAccess).toBe(true);
    expect(access.PublicAccessCidrs).toEqual(config.clusterApiAccessCidrs);
    expect(access.PublicAccessCidrs).not.toContain('0.0.0.0/0');
  });

  it('caps pods per node in every node group, so the kubelet does not reserve memory for 110 of them', () => {
    const templates = Object.values(resourcesOf(synthesized.main, 'AWS::EC2::LaunchTemplate'));
    expect(templates).toHaveLength(1);
    expect(NODE_USER_DATA).toContain(`maxPods: ${MAX_PODS_PER_NODE}`);
    for (const group of Object.values(resourcesOf(synthesized.main, 'AWS::EKS::Nodegroup')))
      expect(group.Properties.LaunchTemplate).toBeDefined();
  });

  it('lets the Cluster Autoscaler resize only this cluster’s node groups', () => {
    const statements = statementsOf(synthesized.main, `tiketi-production-cluster-autoscaler`);
    const resizing = statements.find((s) => [s.Action].flat().includes('autoscaling:SetDesiredCapacity'));
    expect(resizing).toMatchObject({
      Condition: {
        StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${config.clusterName}`]: 'owned' },
      },
    });
  });

  it("gives monitoring's role Grafana's password, the on-call webhook, the exporters' logins and the scrape token, nothing else", () => {
    const role = 'tiketi-production-monitoring';
    const readable = (name: string) => canReadSecret(synthesized.main, role, `tiketi/production/${name}`);
    for (const name of ['grafana', 'alerting', 'database/monitoring', 'redis', 'ops-token'])
      expect(readable(name), name).toBe(true);
    for (const name of ['database', 'toss', 'internal-token', 'database/payment'])
      expect(readable(name), name).toBe(false);
  });
});
