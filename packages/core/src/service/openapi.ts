import { ROUTES, type Route } from './route-table';

/** What the OpenAPI document describes beyond the fixed routes. */
export interface OpenApiOptions {
  /** `info.title`. */
  title: string;
  /** `info.version` (the server version). */
  version: string;
  /** Which routes are on (repository API, metrics). */
  enabled: (route: Route) => boolean;
  /** `servers[0].url`, e.g. the mount prefix `/ml`. Default: none (relative to the host). */
  serverUrl?: string | undefined;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('error_response')) });

/**
 * Component schemas: those of the OIP REST spec (`spec/oip/open_inference_rest.yaml`,
 * KServe authors, Apache-2.0) plus the readiness and repository bodies we send.
 */
const SCHEMAS = {
  metadata_server_response: {
    type: 'object',
    required: ['name', 'version', 'extensions'],
    properties: {
      name: { type: 'string' },
      version: { type: 'string' },
      extensions: { type: 'array', items: { type: 'string' } },
    },
  },
  metadata_model_response: {
    type: 'object',
    required: ['name', 'platform'],
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string' } },
      platform: { type: 'string' },
      inputs: { type: 'array', items: ref('metadata_tensor') },
      outputs: { type: 'array', items: ref('metadata_tensor') },
      parameters: ref('parameters'),
    },
  },
  metadata_tensor: {
    type: 'object',
    required: ['name', 'datatype', 'shape'],
    properties: {
      name: { type: 'string' },
      datatype: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
    },
  },
  inference_request: {
    type: 'object',
    required: ['inputs'],
    properties: {
      id: { type: 'string' },
      parameters: ref('parameters'),
      inputs: { type: 'array', items: ref('request_input') },
      outputs: { type: 'array', items: ref('request_output') },
    },
  },
  parameters: { type: 'object' },
  request_input: {
    type: 'object',
    required: ['name', 'shape', 'datatype', 'data'],
    properties: {
      name: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
      datatype: { type: 'string' },
      parameters: ref('parameters'),
      data: ref('tensor_data'),
    },
  },
  tensor_data: {
    type: 'array',
    items: {
      anyOf: [ref('tensor_data'), { type: 'number' }, { type: 'string' }, { type: 'boolean' }],
    },
  },
  request_output: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string' }, parameters: ref('parameters') },
  },
  response_output: {
    type: 'object',
    required: ['name', 'shape', 'datatype', 'data'],
    properties: {
      name: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
      datatype: { type: 'string' },
      parameters: ref('parameters'),
      data: ref('tensor_data'),
    },
  },
  inference_response: {
    type: 'object',
    required: ['model_name', 'outputs'],
    properties: {
      model_name: { type: 'string' },
      model_version: { type: 'string' },
      id: { type: 'string' },
      parameters: ref('parameters'),
      outputs: { type: 'array', items: ref('response_output') },
    },
  },
  error_response: {
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'string' } },
  },
  live_response: { type: 'object', properties: { live: { type: 'boolean' } } },
  ready_response: { type: 'object', properties: { ready: { type: 'boolean' } } },
  model_ready_response: {
    type: 'object',
    required: ['name', 'ready'],
    properties: { name: { type: 'string' }, ready: { type: 'boolean' } },
  },
  repository_index_response: {
    type: 'array',
    items: {
      type: 'object',
      required: ['name', 'state'],
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        state: { type: 'string', enum: ['READY', 'UNAVAILABLE', 'LOADING', 'UNLOADING'] },
        reason: { type: 'string' },
      },
    },
  },
} as const;

type Operation = Record<string, unknown>;

function operationOf(route: Route): Operation {
  const base: Operation = { operationId: operationId(route), summary: route.summary };
  const params = [...route.path.matchAll(/:(\w+)/g)].map((match) => ({
    name: match[1] === 'model' ? 'model_name' : 'model_version',
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (params.length > 0) base.parameters = params;
  const notFound = params.length > 0 ? { '404': error('Unknown model or version') } : {};
  switch (route.id) {
    case 'health_live':
      return {
        ...base,
        responses: { '200': { description: 'Live', content: json(ref('live_response')) } },
      };
    case 'health_ready':
      return {
        ...base,
        responses: {
          '200': {
            description: 'Every model that should be loaded is ready',
            content: json(ref('ready_response')),
          },
          '503': { description: 'Not ready', content: json(ref('ready_response')) },
        },
      };
    case 'server_metadata':
      return {
        ...base,
        responses: { '200': { description: 'OK', content: json(ref('metadata_server_response')) } },
      };
    case 'model_metadata':
      return {
        ...base,
        responses: {
          '200': { description: 'OK', content: json(ref('metadata_model_response')) },
          ...notFound,
        },
      };
    case 'model_ready':
      return {
        ...base,
        responses: {
          '200': { description: 'Ready', content: json(ref('model_ready_response')) },
          '503': { description: 'Not ready', content: json(ref('model_ready_response')) },
          ...notFound,
        },
      };
    case 'infer':
      return {
        ...base,
        parameters: [
          ...params,
          {
            name: 'Content-Encoding',
            in: 'header',
            required: false,
            description:
              'gzip or deflate: the body is decoded first, the size limit applying to the decoded body.',
            schema: { type: 'string', enum: ['gzip', 'x-gzip', 'deflate', 'identity'] },
          },
        ],
        requestBody: {
          required: true,
          description:
            'A requested output may carry `"parameters": {"classification": k}` (the classification extension): it is then answered as BYTES `"value:index"` strings of its k highest values.',
          content: {
            ...json(ref('inference_request')),
            'application/octet-stream': {
              schema: { type: 'string', format: 'binary' },
              description:
                'Binary tensor data extension: a JSON header of Inference-Header-Content-Length bytes, then raw tensors.',
            },
          },
        },
        responses: {
          '200': {
            description: 'OK (binary outputs when requested, with Inference-Header-Content-Length)',
            content: {
              ...json(ref('inference_response')),
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          '400': error('Bad request: malformed body or inputs that do not fit the model'),
          ...notFound,
          '413': error('Body too large'),
          '415': error('Unsupported Content-Type or Content-Encoding'),
          '500': error('Model failed'),
          '503': error('Model not ready, overloaded (Retry-After) or shutting down'),
          '504': error('Timed out'),
        },
      };
    case 'repository_index':
      return {
        ...base,
        responses: {
          '200': {
            description: 'Every model version',
            content: json(ref('repository_index_response')),
          },
          '401': error('Missing or wrong bearer token'),
        },
      };
    case 'repository_load':
    case 'repository_unload':
      return {
        ...base,
        responses: {
          '200': { description: 'Done' },
          '401': error('Missing or wrong bearer token'),
          ...notFound,
          '500': error('Model failed to load'),
        },
      };
    case 'docs':
      return {
        ...base,
        responses: { '200': { description: 'HTML', content: { 'text/html': {} } } },
      };
    case 'openapi':
      return {
        ...base,
        responses: { '200': { description: 'This document', content: json({ type: 'object' }) } },
      };
    case 'metrics':
      return {
        ...base,
        responses: { '200': { description: 'Prometheus text', content: { 'text/plain': {} } } },
      };
  }
}

function operationId(route: Route): string {
  return `${route.method.toLowerCase()}${route.path.replace(/[/:.]+(\w)/g, (_, c: string) => c.toUpperCase())}`;
}

/**
 * The OpenAPI 3.0 document of the enabled routes (paths use `{model_name}` and
 * `{model_version}`), with the OIP component schemas.
 *
 * @internal
 * @example
 * buildOpenApiDocument({ title: 'infer', version: '0.1.0', enabled: () => true }).openapi; // '3.0.3'
 */
export function buildOpenApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of ROUTES) {
    if (!options.enabled(route)) continue;
    const path = route.path
      .replace(':model', '{model_name}')
      .replace(':version', '{model_version}');
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route) };
  }
  const bearer = ROUTES.some((route) => route.id === 'repository_index' && options.enabled(route));
  return {
    openapi: '3.0.3',
    info: {
      title: options.title,
      version: options.version,
      description:
        'Open Inference Protocol (KServe V2) REST API. Errors are {"error": "..."}; see docs/errors.md for every code.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas: SCHEMAS,
      ...(bearer ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
    },
  };
}
