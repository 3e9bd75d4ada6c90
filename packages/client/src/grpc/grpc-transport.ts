import type {
  InferenceResponse,
  ModelMetadataJSON,
  ServerMetadataJSON,
  Tensor,
} from '@infer/codecs';
import { InferClientError } from '../errors';
import type { CallOptions, InferOptions } from '../infer-types';
import type { ModelRef, Transport } from '../transport';
import type { ModelInferResponse__Output } from './generated/inference/ModelInferResponse';
import type { ModelMetadataResponse__Output } from './generated/inference/ModelMetadataResponse';
import { type GrpcCall, type GrpcConnection, grpcCall } from './grpc-call';
import type { ResolvedGrpcClientOptions } from './grpc-client-options';
import { loadGrpcModules } from './grpc-modules';
import { GRPC_STATUS } from './grpc-status';
import { modelInferRequest, sendsRaw } from './model-infer-request';
import { decodeModelInferResponse } from './model-infer-response';

/** HTTP/2 window for the answers this client receives, in bytes (HTTP/2's default: 64 KiB). */
const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

/**
 * The gRPC transport: OIP's `GRPCInferenceService` over one grpc-js channel, opened on the
 * first call (after loading the optional packages) and closed by {@link GrpcTransport.close}.
 *
 * @internal
 */
export class GrpcTransport implements Transport {
  readonly #options: ResolvedGrpcClientOptions;
  #connection: Promise<GrpcConnection> | undefined;
  #closed = false;
  /** Calls made and not settled yet (each settles without rejecting), for `close()`. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: ResolvedGrpcClientOptions) {
    this.#options = options;
  }

  get address(): string {
    return this.#options.address;
  }

  async live(options: CallOptions | undefined): Promise<boolean> {
    const answer = await this.#probe<{ live?: boolean }>(
      { rpc: 'ServerLive', request: {} },
      options,
    );
    return answer?.live === true;
  }

  async ready(options: CallOptions | undefined): Promise<boolean> {
    const answer = await this.#probe<{ ready?: boolean }>(
      { rpc: 'ServerReady', request: {} },
      options,
    );
    return answer?.ready === true;
  }

  async serverMetadata(options: CallOptions | undefined): Promise<ServerMetadataJSON> {
    const answer = await this.#call<{ name?: string; version?: string; extensions?: string[] }>({
      rpc: 'ServerMetadata',
      request: {},
      ...options,
    });
    return {
      name: answer.name ?? '',
      version: answer.version ?? '',
      extensions: answer.extensions ?? [],
    };
  }

  async modelMetadata(
    model: ModelRef,
    options: CallOptions | undefined,
  ): Promise<ModelMetadataJSON> {
    const answer = await this.#call<ModelMetadataResponse__Output>({
      rpc: 'ModelMetadata',
      request: { name: model.name, version: model.version ?? '' },
      ...options,
    });
    const tensor = (metadata: ModelMetadataResponse__Output['inputs'][number]) => ({
      name: metadata.name ?? '',
      datatype: (metadata.datatype ?? '') as ModelMetadataJSON['inputs'][number]['datatype'],
      shape: (metadata.shape ?? []).map(Number),
    });
    const metadata: ModelMetadataJSON = {
      name: answer.name ?? '',
      platform: answer.platform ?? '',
      inputs: (answer.inputs ?? []).map(tensor),
      outputs: (answer.outputs ?? []).map(tensor),
    };
    if ((answer.versions ?? []).length > 0) metadata.versions = answer.versions;
    // gRPC model metadata has string `properties` where REST has `parameters`.
    if (answer.properties !== undefined && Object.keys(answer.properties).length > 0) {
      metadata.parameters = { ...answer.properties };
    }
    return metadata;
  }

  async modelReady(model: ModelRef, options: CallOptions | undefined): Promise<boolean> {
    const request = { name: model.name, version: model.version ?? '' };
    const answer = await this.#probe<{ ready?: boolean }>({ rpc: 'ModelReady', request }, options, [
      GRPC_STATUS.NOT_FOUND,
    ]);
    return answer?.ready === true;
  }

  async infer(
    model: ModelRef,
    tensors: Tensor[],
    options: InferOptions,
  ): Promise<InferenceResponse> {
    const raw = sendsRaw(tensors, options, this.#options.contents);
    const answer = await this.#call<ModelInferResponse__Output>({
      rpc: 'ModelInfer',
      request: modelInferRequest(model, tensors, options, raw),
      headers: options.headers,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return decodeModelInferResponse(answer, model.name);
  }

  /**
   * Refuses new calls (they reject with `INFER_CLIENT_ERR_CLOSED`), waits for the calls
   * already made (retries included) and closes the channel. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#inFlight);
    const connection = await this.#connection?.catch(() => undefined);
    connection?.client.close();
  }

  /**
   * Every call goes through here, and is counted in flight from this moment: a call made
   * just before `close()` may still be loading grpc-js or awaiting `metadata()`.
   */
  #call<T>(call: GrpcCall): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError(call.rpc));
    const running = grpcCall<T>(this.#options, () => this.#connect(), call);
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return running;
  }

  #closedError(rpc: string): InferClientError {
    return new InferClientError(
      'INFER_CLIENT_ERR_CLOSED',
      `${rpc} ${this.#options.address}: the gRPC client was closed`,
      { method: rpc, url: this.#options.address },
    );
  }

  /**
   * A health probe: the answer, or `undefined` when the server answered an error status
   * (as REST reads any non-2xx as "no"); statuses in `rejected` and connection failures
   * still reject. UNAVAILABLE is an answer here, not retried.
   */
  async #probe<T>(
    call: GrpcCall,
    options: CallOptions | undefined,
    rejected: readonly number[] = [],
  ): Promise<T | undefined> {
    try {
      return await this.#call<T>({ ...call, ...options, retryUnavailable: false });
    } catch (error) {
      const { code, grpcCode } = error as InferClientError;
      if (code === 'INFER_CLIENT_ERR_GRPC' && !rejected.includes(grpcCode!)) return undefined;
      throw error;
    }
  }

  /**
   * The channel, opened on first use: by a call made before `close()`, even when its
   * attempt (a retry, say) comes after it.
   */
  #connect(): Promise<GrpcConnection> {
    this.#connection ??= loadGrpcModules().then(({ grpc, Service }) => {
      const options = this.#options;
      const client = new Service(
        options.address,
        options.credentials ?? grpc.credentials.createInsecure(),
        {
          'grpc.max_receive_message_length': options.maxMessageBytes,
          'grpc.max_send_message_length': options.maxMessageBytes,
          'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
          ...options.channelOptions,
        },
      );
      return { grpc, client };
    });
    this.#connection.catch(() => {
      this.#connection = undefined;
    });
    return this.#connection;
  }
}
