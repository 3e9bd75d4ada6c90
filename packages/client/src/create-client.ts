import { type ClientOptions, resolveClientOptions } from './client-options';
import { HttpTransport } from './http-transport';
import { type OipClient, TransportClient } from './oip-client';

/** A client of one OIP server over REST, from {@link createClient}. */
export interface InferClient extends OipClient {
  /** The base URL every path is appended to (no trailing slash). */
  readonly baseUrl: string;
}

/**
 * Creates an Open Inference Protocol client on `fetch` for any OIP server (@infer, Triton,
 * MLServer, KServe). Options are checked at once (throws `INFER_CLIENT_ERR_INVALID_OPTION`
 * naming the option); nothing is sent until a method is called.
 *
 * @example
 * import { createClient } from '@infer/client';
 * const client = createClient({ baseUrl: 'http://localhost:8080', timeoutMs: 5000, retry: true });
 * const { outputs } = await client.model('iris').infer({ x: new Float32Array([5.1, 3.5, 1.4, 0.2]) });
 * console.log(outputs.label?.data);
 */
export function createClient(options: ClientOptions): InferClient {
  const resolved = resolveClientOptions(options);
  return Object.assign(new TransportClient(new HttpTransport(resolved)), {
    baseUrl: resolved.baseUrl,
  });
}
