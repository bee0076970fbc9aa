import { servicesBehindGateway } from '@tiketi/contracts';
import { call } from './api.ts';
import type { IsolatedPlatform } from './platform.ts';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  nullable?: boolean;
  default?: unknown;
};

export type Route = {
  service: string;
  method: string;
  /** Fastify style, `/api/events/:id`. */
  path: string;
  params: string[];
  body?: JsonSchema;
  query?: Record<string, JsonSchema>;
  multipart: boolean;
};

/** Every route each service documents at /docs/json: what the platform really serves. */
export async function documentedRoutes(p: IsolatedPlatform): Promise<Route[]> {
  const routes: Route[] = [];
  for (const service of servicesBehindGateway) {
    // A service shows its document only to a holder of the operations token.
    const res = await call(p.url(service), 'GET', '/docs/json', {
      headers: { authorization: `Bearer ${String(p.env.OPS_TOKEN)}` },
    });
    if (res.status !== 200) throw new Error(`${service} serves no OpenAPI (${res.status})`);
    const paths = res.body.paths as Record<string, Record<string, Operation>>;
    for (const [template, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const parameters = op.parameters ?? [];
        const content = op.requestBody?.content ?? {};
        routes.push({
          service,
          method: method.toUpperCase(),
          path: template.replace(/\{([^}]+)\}/g, ':$1'),
          params: parameters.filter((x) => x.in === 'path').map((x) => x.name),
          body: content['application/json']?.schema,
          query: Object.fromEntries(
            parameters
              .filter((x) => x.in === 'query')
              .map((x) => [x.name, { ...x.schema, required: undefined }]),
          ) as Record<string, JsonSchema>,
          multipart: 'multipart/form-data' in content,
        });
      }
    }
  }
  return routes;
}

type Operation = {
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
};

/** A value the schema accepts (the smallest plausible one), so a request passes validation. */
export function sample(schema: JsonSchema | undefined, seed = 0): unknown {
  if (!schema) return undefined;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[seed % schema.enum.length];
  if (schema.default !== undefined) return schema.default;
  const options = schema.anyOf ?? schema.oneOf;
  if (options?.length) return sample(options.find((o) => o.type !== 'null') ?? options[0], seed);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map((s) => sample(s, seed)));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key)) out[key] = sample(prop, seed);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items, seed));
    case 'integer':
    case 'number':
      return Math.max(
        schema.minimum ?? 1,
        schema.exclusiveMinimum === undefined ? 1 : schema.exclusiveMinimum + 1,
      );
    case 'boolean':
      return true;
    case 'string':
      return sampleString(schema);
    default:
      return null;
  }
}

function sampleString(schema: JsonSchema): string {
  switch (schema.format) {
    case 'uuid':
      return '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    case 'email':
      return 'someone@example.com';
    case 'date-time':
      return new Date(Date.now() + 86_400_000).toISOString();
    case 'date':
      return new Date().toISOString().slice(0, 10);
    case 'uri':
      return 'https://example.com/x';
  }
  const length = Math.max(schema.minLength ?? 1, 8);
  const text = 'sample-value-'.padEnd(length, 'x');
  return schema.maxLength ? text.slice(0, schema.maxLength) : text;
}

/** The concrete path with each parameter given. */
export function fill(route: Route, value: (name: string) => string): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) =>
    encodeURIComponent(value(name).toWellFormed()),
  );
}
