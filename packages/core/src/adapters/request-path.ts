/**
 * The service path of a request URL (path and query) under a mount prefix, or `undefined`
 * when the URL is outside the prefix: `/ml/v2/health/live` under `/ml` is `/v2/health/live`.
 *
 * @internal
 * @example
 * stripPrefix('/ml/v2?x=1', '/ml'); // '/v2?x=1'
 */
export function stripPrefix(target: string, prefix: string): string | undefined {
  const url = target.startsWith('/') ? target : originForm(target);
  if (prefix === '') return url.startsWith('/') ? url : `/${url}`;
  if (!url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length);
  if (rest === '') return '/';
  if (rest.startsWith('/')) return rest;
  if (rest.startsWith('?')) return `/${rest}`;
  return undefined;
}

/**
 * The path and query of a request target in absolute form (`http://host/v2?x=1`, which
 * RFC 9112 section 3.2.2 says a server must accept, proxies send it): `/v2?x=1`. Any other
 * target is returned as it is.
 */
function originForm(target: string): string {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (authority === null) return target;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * Whether a service path belongs to the OIP surface (`/v2`, `/v2/...`), or is `/metrics`
 * when `metrics` is on; framework routers hand other paths on to the host app.
 *
 * @internal
 * @example
 * isServicePath('/v2/health/live', false); // true
 */
export function isServicePath(path: string, metrics: boolean): boolean {
  const end = path.search(/[?#]/);
  const pathname = end === -1 ? path : path.slice(0, end);
  return pathname === '/v2' || pathname.startsWith('/v2/') || (metrics && pathname === '/metrics');
}

/**
 * Whether the service serves `/metrics`: its `servesMetrics` flag (`InferenceService`), or
 * for another handler, whether its `metrics` property is set.
 *
 * @internal
 * @example
 * exposesMetrics(service); // false
 */
export function exposesMetrics(service: object): boolean {
  const flag = (service as { servesMetrics?: unknown }).servesMetrics;
  if (typeof flag === 'boolean') return flag;
  return (service as { metrics?: unknown }).metrics != null;
}
