// The OpenAPI 3.1 document of the HTTP API, built from the route registry (router.ts: path, methods, auth,
// envelope and the request-body schema of each route), so it cannot drift from what the server answers.
// Served at /terraform/v1/openapi.json.
import type { RouteInfo } from './router.js';
import type { JsonSchema, JsonValue } from './schema.js';

const ERROR: JsonSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'integer', description: 'the HTTP status, or an SRS error code (2048 stream not found, 2049 client not found)' },
    message: { type: 'string', description: 'what went wrong and what to do' },
  },
};

const ENVELOPES: Record<'stack' | 'srs', JsonSchema> = {
  stack: {
    type: 'object',
    required: ['code', 'server', 'data'],
    properties: {
      code: { type: 'integer', const: 0 },
      server: { type: 'string', description: 'this server\'s id (vid-...)' },
      data: { description: 'the result; null when there is none' },
    },
  },
  srs: {
    type: 'object',
    required: ['code', 'server', 'service', 'pid'],
    properties: {
      code: { type: 'integer', const: 0 },
      server: { type: 'string' },
      service: { type: 'string' },
      pid: { type: 'string' },
    },
    additionalProperties: true,
  },
};

/** /api/v1/clients/:id -> /api/v1/clients/{id}; /x/*rest -> /x/{rest}. */
export function openApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z_]\w*)/g, '{$1}');
}

function pathParams(path: string): JsonValue[] {
  return [...path.matchAll(/([:*])([A-Za-z_]\w*)/g)].map((m) => ({
    name: m[2]!,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(m[1] === '*' ? { description: 'the rest of the path' } : {}),
  }));
}

function tagOf(path: string): string {
  const m = /^\/(terraform|api)\/v1\/([^/]+)/.exec(path);
  return m ? (m[1] === 'api' ? 'srs' : m[2]!) : 'other';
}

function operation(r: RouteInfo, method: string): JsonSchema {
  const op: JsonSchema = {
    operationId: `${method.toLowerCase()}${openApiPath(r.path).replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: r.summary,
    tags: [tagOf(r.path)],
    security: r.auth ? [{ bearer: [] }, { token: [] }] : [],
  };
  const params = pathParams(r.path);
  if (r.envelope !== 'raw') {
    params.push({ name: 'callback', in: 'query', required: false, schema: { type: 'string' }, description: 'JSONP: answer callback(json) as JavaScript' });
  }
  if (params.length) op.parameters = params;
  const props = r.body.properties;
  if (method === 'POST' && props && typeof props === 'object' && Object.keys(props).length) {
    op.requestBody = { required: Array.isArray(r.body.required) && r.body.required.length > 0, content: { 'application/json': { schema: r.body } } };
  }
  const error = { description: 'an error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const responses: JsonSchema = {};
  if (r.notBuilt) {
    responses['501'] = { description: `not built here: ${r.notBuilt}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  } else if (r.envelope === 'raw') {
    responses['200'] = { description: 'the resource itself (see the summary)' };
  } else {
    const envelope: JsonSchema = { $ref: `#/components/schemas/${r.envelope === 'srs' ? 'SrsEnvelope' : 'StackEnvelope'}` };
    const data = r.envelope === 'srs' ? r.response : r.response && { type: 'object', properties: { data: r.response } };
    responses['200'] = {
      description: r.envelope === 'srs' ? "SRS's envelope" : "SRS Stack's envelope",
      content: { 'application/json': { schema: data ? { allOf: [envelope, data] } : envelope } },
    };
  }
  if (r.auth) responses['401'] = { ...error, description: 'no or wrong credentials' };
  responses.default = error;
  op.responses = responses;
  return op;
}

/** The document for these routes. */
export function openApiDocument(routes: readonly RouteInfo[], version: string): JsonSchema {
  const paths: { [path: string]: JsonSchema } = {};
  for (const r of routes) {
    const item = (paths[openApiPath(r.path)] ??= {});
    for (const m of r.methods) item[m.toLowerCase()] = operation(r, m);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'srs-node HTTP API',
      version,
      description:
        "SRS Stack's management API (/terraform/v1) and SRS's API (/api/v1). Authenticate with `Authorization: Bearer <API secret>` " +
        'or a token from mgmt/login (as `token` in the JSON body or `?token=`). Errors are a non-2xx status with {code, message}.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'the API secret, or a token from mgmt/login' },
        token: { type: 'apiKey', in: 'query', name: 'token', description: 'a token from mgmt/login (also accepted as "token" in the JSON body)' },
      },
      schemas: { Error: ERROR, StackEnvelope: ENVELOPES.stack, SrsEnvelope: ENVELOPES.srs },
    },
  };
}
