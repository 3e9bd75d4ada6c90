import { type OipClient, TransportClient } from '../oip-client';
import { type GrpcClientOptions, resolveGrpcClientOptions } from './grpc-client-options';
import { GrpcTransport } from './grpc-transport';

/**
 * A client of one OIP server over gRPC, from {@link createGrpcClient}: the same methods,
 * inputs, outputs, typed schemas, signals, retries and errors as the REST client, plus
 * `close()`.
 *
 * @example
 * const client: GrpcClient = createGrpcClient({ address: '127.0.0.1:8081' });
 * console.log(await client.live(), client.address);
 * await client.close();
 */
export interface GrpcClient extends OipClient {
  /** The gRPC target every call goes to, e.g. `127.0.0.1:8081`. */
  readonly address: string;
  /**
   * Closes the channel once the calls already made have finished (retries included); calls
   * made after it reject with `INFER_CLIENT_ERR_CLOSED`.
   */
  close(): Promise<void>;
}

/**
 * Creates an Open Inference Protocol client over gRPC (`inference.GRPCInferenceService`)
 * for Node: any OIP gRPC server (@infer's `serve({ grpc })`, Triton, KServe, MLServer).
 * Options are checked at once (throws `INFER_CLIENT_ERR_INVALID_OPTION` naming the option);
 * the optional packages `@grpc/grpc-js` and `@grpc/proto-loader` are loaded and the channel
 * opened on the first call.
 *
 * @example
 * import { createGrpcClient } from '@infer/client/grpc';
 * const client = createGrpcClient({ address: '127.0.0.1:8081', timeoutMs: 5000, retry: true });
 * const { outputs } = await client.model('iris').infer({ x: new Float32Array([5.1, 3.5, 1.4, 0.2]) });
 * console.log(outputs.label?.data);
 * await client.close();
 */
export function createGrpcClient(options: GrpcClientOptions): GrpcClient {
  return new GrpcInferClient(new GrpcTransport(resolveGrpcClientOptions(options)));
}

class GrpcInferClient extends TransportClient implements GrpcClient {
  readonly address: string;
  readonly #transport: GrpcTransport;

  constructor(transport: GrpcTransport) {
    super(transport);
    this.#transport = transport;
    this.address = transport.address;
  }

  close(): Promise<void> {
    return this.#transport.close();
  }
}
