import { BadRequestError } from '../errors';

/** Identifier of a service route; also the `route` label of request metrics. */
export type RouteId =
  | 'health_live'
  | 'health_ready'
  | 'server_metadata'
  | 'model_metadata'
  | 'model_ready'
  | 'infer'
  | 'repository_index'
  | 'repository_load'
  | 'repository_unload'
  | 'docs'
  | 'openapi'
  | 'metrics';

/** One route: method, path template (`:name` segments are parameters), summary for docs. */
export interface Route {
  readonly id: RouteId;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly summary: string;
}

/**
 * Every route of the service, in one table (the docs page and the OpenAPI document are
 * generated from it). Optional segments of the spec (`[/versions/{v}]`) are two rows.
 *
 * @internal
 */
export const ROUTES: readonly Route[] = [
  { id: 'health_live', method: 'GET', path: '/v2/health/live', summary: 'Server live' },
  { id: 'health_ready', method: 'GET', path: '/v2/health/ready', summary: 'Server ready' },
  { id: 'server_metadata', method: 'GET', path: '/v2', summary: 'Server metadata' },
  { id: 'model_metadata', method: 'GET', path: '/v2/models/:model', summary: 'Model metadata' },
  {
    id: 'model_metadata',
    method: 'GET',
    path: '/v2/models/:model/versions/:version',
    summary: 'Model metadata (one version)',
  },
  { id: 'model_ready', method: 'GET', path: '/v2/models/:model/ready', summary: 'Model ready' },
  {
    id: 'model_ready',
    method: 'GET',
    path: '/v2/models/:model/versions/:version/ready',
    summary: 'Model ready (one version)',
  },
  { id: 'infer', method: 'POST', path: '/v2/models/:model/infer', summary: 'Inference' },
  {
    id: 'infer',
    method: 'POST',
    path: '/v2/models/:model/versions/:version/infer',
    summary: 'Inference (one version)',
  },
  {
    id: 'repository_index',
    method: 'POST',
    path: '/v2/repository/index',
    summary: 'Repository index (model repository extension)',
  },
  {
    id: 'repository_load',
    method: 'POST',
    path: '/v2/repository/models/:model/load',
    summary: 'Load a model (model repository extension)',
  },
  {
    id: 'repository_unload',
    method: 'POST',
    path: '/v2/repository/models/:model/unload',
    summary: 'Unload a model (model repository extension)',
  },
  { id: 'docs', method: 'GET', path: '/v2/docs', summary: 'This documentation page' },
  {
    id: 'openapi',
    method: 'GET',
    path: '/v2/docs/openapi.json',
    summary: 'OpenAPI 3 document of these routes',
  },
  { id: 'metrics', method: 'GET', path: '/metrics', summary: 'Prometheus metrics' },
];

/** A matched route and its decoded path parameters. */
export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** The outcome of {@link matchRoute}: a match, a path with other methods only, or nothing. */
export type RouteLookup =
  | { kind: 'match'; match: RouteMatch }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' };

/** A route's path template: its segments (after the leading `/`), `:name` ones by name. */
interface Template {
  readonly route: Route;
  /** Literal segments; `undefined` where the segment is a parameter. */
  readonly literals: readonly (string | undefined)[];
  /** `[segment index, parameter name]` of each parameter. */
  readonly params: readonly (readonly [number, string])[];
}

/** Templates by segment count, each list in table order (a path only fits its own count). */
const TEMPLATES_BY_LENGTH = new Map<number, Template[]>();
for (const route of ROUTES) {
  const segments = route.path.split('/').slice(1);
  const template: Template = {
    route,
    literals: segments.map((part) => (part.startsWith(':') ? undefined : part)),
    params: segments.flatMap((part, index) =>
      part.startsWith(':') ? [[index, part.slice(1)] as const] : [],
    ),
  };
  const list = TEMPLATES_BY_LENGTH.get(segments.length) ?? [];
  list.push(template);
  TEMPLATES_BY_LENGTH.set(segments.length, list);
}

/**
 * The path part of a request path: query and fragment dropped, trailing `/` removed.
 *
 * @internal
 * @example
 * pathnameOf('/v2/?x=1'); // '/v2'
 */
export function pathnameOf(path: string): string {
  const pathname = pathPartOf(path);
  if (pathname.length <= 1) return pathname;
  let length = pathname.length;
  while (length > 0 && pathname.charCodeAt(length - 1) === 47 /* / */) length -= 1;
  return length === pathname.length ? pathname : pathname.slice(0, length);
}

/**
 * The path part of a request path as sent: query and fragment dropped, trailing `/` kept.
 *
 * @internal
 * @example
 * pathPartOf('/v2/docs/?x=1'); // '/v2/docs/'
 */
export function pathPartOf(path: string): string {
  const query = path.indexOf('?');
  const fragment = path.indexOf('#');
  const end = query === -1 ? fragment : fragment === -1 ? query : Math.min(query, fragment);
  return end === -1 ? path : path.slice(0, end);
}

function decode(segment: string): string {
  if (!segment.includes('%')) return segment; // nothing to decode (the usual case)
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError(`malformed URL segment "${segment}"`);
  }
}

/**
 * Finds the route for a method and path among `routes` (HEAD matches GET routes); when the
 * path exists under other methods only, returns them for the `Allow` header.
 *
 * @internal
 * @example
 * matchRoute('GET', '/v2/models/m%201/ready', (r) => true); // { kind: 'match', match: { params: { model: 'm 1' } } }
 */
export function matchRoute(
  method: string,
  path: string,
  enabled: (route: Route) => boolean,
): RouteLookup {
  // Segments after the leading `/` (the path of a request always starts with one).
  const segments = pathnameOf(path).split('/');
  segments.shift();
  const templates = TEMPLATES_BY_LENGTH.get(segments.length);
  if (templates === undefined) return { kind: 'none' };
  let allow: Set<string> | undefined;
  for (const template of templates) {
    if (!fits(template, segments)) continue;
    const { route } = template;
    if (!enabled(route)) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
      const params: Record<string, string> = {};
      for (const [index, name] of template.params) params[name] = segments[index]!;
      for (const [, name] of template.params) params[name] = decode(params[name]!);
      return { kind: 'match', match: { route, params } };
    }
    allow ??= new Set<string>();
    allow.add(route.method);
    if (route.method === 'GET') allow.add('HEAD');
  }
  return allow !== undefined ? { kind: 'method', allow: [...allow] } : { kind: 'none' };
}

/** Whether path segments fit a template: literals equal, parameters not empty. */
function fits(template: Template, segments: readonly string[]): boolean {
  const { literals } = template;
  for (let index = 0; index < literals.length; index++) {
    const literal = literals[index];
    const actual = segments[index]!;
    if (literal === undefined ? actual === '' : literal !== actual) return false;
  }
  return true;
}
