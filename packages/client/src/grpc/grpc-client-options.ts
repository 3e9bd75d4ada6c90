import type * as GrpcJs from '@grpc/grpc-js';
import { CLIENT_DEFAULTS, checkCount, type RetryOptions, resolveRetry } from '../client-options';
import { InferClientError } from '../errors';

/**
 * How `infer()` sends input data over gRPC: `'raw'` (`raw_input_contents`) or `'typed'`
 * (each input's typed `contents` field).
 *
 * @example
 * const contents: GrpcContents = 'typed';
 */
export type GrpcContents = 'raw' | 'typed';

/**
 * Options of {@link createGrpcClient}.
 *
 * @example
 * const options: GrpcClientOptions = { address: '127.0.0.1:8081', timeoutMs: 5000, retry: true };
 */
export interface GrpcClientOptions {
  /** The server's gRPC address, `host:port` (`127.0.0.1:8081`), or any grpc-js target (`dns:///host:8081`). Required. */
  address: string;
  /**
   * Channel credentials, e.g. `grpc.credentials.createSsl()`. Default: insecure (plaintext
   * HTTP/2, what `serve({ grpc })` and KServe listen with).
   */
  credentials?: GrpcJs.ChannelCredentials;
  /**
   * Metadata sent with every call (e.g. `authorization`), or a function called before each
   * attempt that returns it (for tokens that expire; it runs within the call's deadline and
   * signal). Per-call `headers` are added to it, replacing keys of the same name whatever
   * the case. A function that throws, or a key grpc-js refuses (a `-bin` key with a string
   * value, a space), rejects the call with `INFER_CLIENT_ERR_HEADERS` without sending it.
   * Default: none.
   */
  metadata?:
    | Record<string, string>
    | (() => Record<string, string> | Promise<Record<string, string>>);
  /**
   * Deadline of every call in ms, retries included, sent as the gRPC deadline; `0` for
   * none. One past 2,147,483,000 ms (about 24.8 days) counts as that. Default `0`.
   */
  timeoutMs?: number;
  /**
   * Retry connection failures and UNAVAILABLE answers (honouring a `retry-after` trailer)
   * with exponential backoff, as long as the deadline allows: `true` for the defaults, an
   * object to tune, `false` for none. Default `false`.
   */
  retry?: RetryOptions | boolean;
  /** Largest message sent or received, in bytes. Default `67108864` (64 MiB, as the server). */
  maxMessageBytes?: number;
  /**
   * How `infer()` sends input data: `'raw'` as `raw_input_contents` (little-endian bytes, the
   * fast path), `'typed'` as each input's typed `contents` field. Per call, `binary: true` /
   * `false` picks raw / typed. FP16 has no typed field: a request with an FP16 input goes raw.
   * Default `'raw'`.
   */
  contents?: GrpcContents;
  /**
   * Extra grpc-js channel options (keepalive, load balancing). The client sets
   * `'grpc-node.flow_control_window'` to 8 MiB (HTTP/2's default of 64 KiB makes a 1 MiB
   * answer wait for ~16 round trips); give it here to change that. Default `{}`.
   */
  channelOptions?: GrpcJs.ChannelOptions;
}

/**
 * Defaults of {@link GrpcClientOptions}.
 *
 * @example
 * createGrpcClient({ address, maxMessageBytes: GRPC_CLIENT_DEFAULTS.maxMessageBytes * 2 });
 */
export const GRPC_CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: CLIENT_DEFAULTS.timeoutMs,
  maxMessageBytes: 64 * 1024 * 1024,
  contents: 'raw' as GrpcContents,
  retry: CLIENT_DEFAULTS.retry,
});

/** @internal Options after validation and defaults. */
export interface ResolvedGrpcClientOptions {
  address: string;
  credentials: GrpcJs.ChannelCredentials | undefined;
  metadata: GrpcClientOptions['metadata'];
  timeoutMs: number;
  retry: Required<RetryOptions> | undefined;
  maxMessageBytes: number;
  contents: GrpcContents;
  channelOptions: GrpcJs.ChannelOptions;
}

function fail(path: string, what: string): never {
  throw new InferClientError('INFER_CLIENT_ERR_INVALID_OPTION', `${path} ${what}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates `createGrpcClient()` options before anything happens; messages name the path.
 *
 * @internal
 */
export function resolveGrpcClientOptions(options: GrpcClientOptions): ResolvedGrpcClientOptions {
  if (!isPlainObject(options)) fail('options', 'must be an object');
  const { address } = options;
  if (typeof address !== 'string' || address.trim() === '') {
    fail('options.address', 'must be a non-empty string (e.g. "127.0.0.1:8081")');
  }
  if (/^https?:\/\//i.test(address)) {
    fail('options.address', `must be a gRPC target such as "host:8081", not a URL (${address})`);
  }
  const { credentials, metadata } = options;
  if (
    credentials !== undefined &&
    (typeof credentials !== 'object' || credentials === null || !('_isSecure' in credentials))
  ) {
    fail('options.credentials', 'must be grpc-js ChannelCredentials (grpc.credentials.*)');
  }
  if (metadata !== undefined && typeof metadata !== 'function') {
    if (!isPlainObject(metadata))
      fail('options.metadata', 'must be an object of strings or a function');
    for (const [name, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') fail(`options.metadata.${name}`, 'must be a string');
    }
  }
  const maxMessageBytes = options.maxMessageBytes ?? GRPC_CLIENT_DEFAULTS.maxMessageBytes;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes <= 0) {
    fail('options.maxMessageBytes', 'must be a positive integer (bytes)');
  }
  const contents = options.contents ?? GRPC_CLIENT_DEFAULTS.contents;
  if (contents !== 'raw' && contents !== 'typed') {
    fail('options.contents', `must be 'raw' or 'typed'`);
  }
  if (options.channelOptions !== undefined && !isPlainObject(options.channelOptions)) {
    fail('options.channelOptions', 'must be an object of grpc-js channel options');
  }
  return {
    address: address.trim(),
    credentials,
    metadata,
    timeoutMs: checkCount(
      options.timeoutMs ?? GRPC_CLIENT_DEFAULTS.timeoutMs,
      'options.timeoutMs',
      'ms',
    ),
    retry: resolveRetry(options.retry),
    maxMessageBytes,
    contents,
    channelOptions: options.channelOptions ?? {},
  };
}
