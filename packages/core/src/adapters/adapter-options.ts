import { InvalidOptionError } from '../errors';
import { type BodyPool, sharedBodyPool } from './body-pool';

/** Default largest request body: 64 MiB, enough for a batch of 32 FP32 224x224 RGB images. */
export const DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024;

/** Options every HTTP adapter takes. */
export interface AdapterOptions {
  /**
   * Largest request body in bytes. A larger `Content-Length`, or a streamed body that grows
   * past it, is answered `413` with `{"error": ...}` at once, without buffering the rest.
   * Default `67108864` (64 MiB).
   */
  maxBodySize?: number;
  /**
   * Mount path stripped from the URL before routing, e.g. `'/ml'` serves
   * `/ml/v2/health/live`. Default `''` (the Next handlers default to `'/api'`).
   */
  prefix?: string;
  /**
   * Read bodies of 64 KiB and more (with a `Content-Length`, up to 32 MiB) into buffers reused
   * from request to request: node:http, Express (when no body parser read the body first) and
   * `serve()`; the Fastify plugin only when asked (see its options); the Next handlers read
   * Web bodies and ignore it. A buffer is reused only when the request was served by a worker
   * pool or never reached a model: an in-process model may keep views of its inputs. It
   * spares V8 most of its full garbage collections under load (0.3-1.4 ms of CPU per
   * MobileNet request here). Idle buffers, at most 32 MiB in all, are dropped 10-20 s after
   * the last body of their length. Default `true`.
   */
  reuseBodyBuffers?: boolean;
}

/** Adapter options after validation, with defaults applied. @internal */
export interface ResolvedAdapterOptions {
  maxBodySize: number;
  prefix: string;
  /** Where large bodies are read into, or `undefined` when `reuseBodyBuffers` is false. */
  bodyPool: BodyPool | undefined;
}

/**
 * Validates adapter options before any side effect; messages name the option path.
 *
 * @internal
 * @example
 * resolveAdapterOptions({ prefix: '/ml/' }); // { maxBodySize: 67108864, prefix: '/ml', bodyPool }
 */
export function resolveAdapterOptions(
  options: AdapterOptions | undefined,
  defaults: Partial<ResolvedAdapterOptions> = {},
): ResolvedAdapterOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidOptionError('options', 'must be an object');
  }
  const maxBodySize = options?.maxBodySize ?? defaults.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  if (!Number.isSafeInteger(maxBodySize) || maxBodySize <= 0) {
    throw new InvalidOptionError('options.maxBodySize', 'must be a positive integer (bytes)');
  }
  const reuse = options?.reuseBodyBuffers ?? true;
  if (typeof reuse !== 'boolean') {
    throw new InvalidOptionError('options.reuseBodyBuffers', 'must be a boolean');
  }
  return {
    maxBodySize,
    prefix: normalizePrefix(options?.prefix ?? defaults.prefix ?? ''),
    bodyPool: reuse ? sharedBodyPool : undefined,
  };
}

/**
 * `''` or a path that starts with `/` and has no trailing `/`.
 *
 * @internal
 * @example
 * normalizePrefix('/api/'); // '/api'
 */
export function normalizePrefix(prefix: string, path = 'options.prefix'): string {
  if (typeof prefix !== 'string') throw new InvalidOptionError(path, 'must be a string');
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed !== '' && !trimmed.startsWith('/')) {
    throw new InvalidOptionError(path, `must start with "/" (got "${prefix}")`);
  }
  if (/[?#\s]/.test(trimmed)) {
    throw new InvalidOptionError(path, 'must be a plain path without "?", "#" or spaces');
  }
  return trimmed;
}
