/**
 * `@infer/client` as Node loads it (the package's `node` export condition): the same API as
 * the main entry, but `createClient` sends REST requests with `node:http` / `node:https` and
 * keep-alive connections unless `options.fetch` is given. Bundlers for browsers and edge
 * runtimes never take this entry.
 */
import type { ClientOptions } from './client-options';
import { createClient as createFetchClient, type InferClient } from './create-client';
import { nodeFetch } from './node-fetch';

export * from './index';

/**
 * Creates an Open Inference Protocol client for any OIP server (@infer, Triton, MLServer,
 * KServe). In Node its requests go out on `node:http` / `node:https` with keep-alive
 * connections: the same answers as `fetch` (redirects followed, compressed answers decoded)
 * at about half its CPU per call. Pass `fetch` (e.g. `globalThis.fetch`, or undici's with a
 * dispatcher) to send through it instead. Options are checked at once (throws
 * `INFER_CLIENT_ERR_INVALID_OPTION` naming the option); nothing is sent until a method is
 * called.
 *
 * @example
 * import { createClient } from '@infer/client';
 * const client = createClient({ baseUrl: 'http://localhost:8080', timeoutMs: 5000, retry: true });
 * const { outputs } = await client.model('iris').infer({ x: new Float32Array([5.1, 3.5, 1.4, 0.2]) });
 * console.log(outputs.label?.data);
 */
export function createClient(options: ClientOptions): InferClient {
  return createFetchClient(
    options.fetch === undefined ? { ...options, fetch: nodeFetch } : options,
  );
}
