import { Ajv } from 'ajv';

/**
 * The AWS Load Balancer Controller's TargetGroupBinding (elbv2.k8s.aws/v1beta1), which no
 * kubernetes-models package covers: written from the controller's API reference, every field of its
 * spec, unknown fields rejected as the API server's strict field validation would.
 */
const intOrString = { anyOf: [{ type: 'integer' }, { type: 'string' }] };
const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { type: 'string' },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};
const schema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'elbv2.k8s.aws/v1beta1' },
    kind: { const: 'TargetGroupBinding' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['serviceRef'],
      properties: {
        targetGroupARN: { type: 'string', minLength: 1 },
        targetGroupName: { type: 'string', minLength: 1 },
        targetType: { enum: ['instance', 'ip'] },
        serviceRef: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'port'],
          properties: { name: { type: 'string' }, port: intOrString },
        },
        networking: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ingress: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['from', 'ports'],
                properties: {
                  from: {
                    type: 'array',
                    items: {
                      type: 'object',
                      additionalProperties: false,
                      properties: {
                        ipBlock: {
                          type: 'object',
                          additionalProperties: false,
                          required: ['cidr'],
                          properties: { cidr: { type: 'string' } },
                        },
                        securityGroup: {
                          type: 'object',
                          additionalProperties: false,
                          required: ['groupID'],
                          properties: { groupID: { type: 'string' } },
                        },
                      },
                    },
                  },
                  ports: {
                    type: 'array',
                    items: {
                      type: 'object',
                      additionalProperties: false,
                      properties: { protocol: { enum: ['TCP', 'UDP'] }, port: intOrString },
                    },
                  },
                },
              },
            },
          },
        },
        nodeSelector: labelSelector,
        ipAddressType: { enum: ['ipv4', 'ipv6'] },
        vpcID: { type: 'string', pattern: '^vpc-[0-9a-f]+$' },
        multiClusterTargetGroup: { type: 'boolean' },
      },
      oneOf: [{ required: ['targetGroupARN'] }, { required: ['targetGroupName'] }],
    },
  },
};

const validate = new Ajv({ allErrors: true }).compile(schema);

export class TargetGroupBinding {
  constructor(data: object) {
    Object.assign(this, data);
  }

  validate(): void {
    if (!validate(this))
      throw new Error(
        (validate.errors ?? [])
          .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
          .join('; '),
      );
  }
}
