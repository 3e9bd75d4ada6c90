/**
 * Every error code of @infer, its HTTP status and its gRPC status, in one table (as
 * Fastify's `lib/errors.js` and tRPC's `getHTTPStatusCode.ts`). Codes are never reused;
 * `test/errors.test.ts` pins the count and checks each one is in `docs/errors.md`.
 */

const MARKER = Symbol.for('infer.error');

/** One row of {@link ERROR_CODES}. */
export interface ErrorCodeInfo {
  /** HTTP status sent when the error reaches the service. */
  readonly status: number;
  /** gRPC status name for the gRPC transport. */
  readonly grpc: string;
  /** Public message used when an error carries no message of its own. */
  readonly message: string;
}

/**
 * The table of every `INFER_ERR_*` code: HTTP status, gRPC status name, default message.
 *
 * @example
 * ERROR_CODES.INFER_ERR_MODEL_NOT_FOUND.status; // 404
 */
export const ERROR_CODES = {
  INFER_ERR_BAD_REQUEST: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Bad request' },
  INFER_ERR_CODEC: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Malformed payload' },
  INFER_ERR_INVALID_INPUT: {
    status: 400,
    grpc: 'INVALID_ARGUMENT',
    message: 'Input does not fit the model',
  },
  INFER_ERR_OUTPUT_NOT_FOUND: {
    status: 400,
    grpc: 'INVALID_ARGUMENT',
    message: 'Requested output is not produced by the model',
  },
  INFER_ERR_UNAUTHORIZED: { status: 401, grpc: 'UNAUTHENTICATED', message: 'Unauthorized' },
  INFER_ERR_FORBIDDEN: { status: 403, grpc: 'PERMISSION_DENIED', message: 'Forbidden' },
  INFER_ERR_MODEL_NOT_FOUND: { status: 404, grpc: 'NOT_FOUND', message: 'Model not found' },
  INFER_ERR_VERSION_NOT_FOUND: {
    status: 404,
    grpc: 'NOT_FOUND',
    message: 'Model version not found',
  },
  INFER_ERR_ROUTE_NOT_FOUND: { status: 404, grpc: 'UNIMPLEMENTED', message: 'Route not found' },
  INFER_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    grpc: 'UNIMPLEMENTED',
    message: 'Method not allowed',
  },
  INFER_ERR_MODEL_EXISTS: {
    status: 409,
    grpc: 'ALREADY_EXISTS',
    message: 'Model version already registered',
  },
  INFER_ERR_BODY_TOO_LARGE: {
    status: 413,
    grpc: 'RESOURCE_EXHAUSTED',
    message: 'Request body too large',
  },
  INFER_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    grpc: 'INVALID_ARGUMENT',
    message: 'Unsupported media type',
  },
  INFER_ERR_UNSUPPORTED_CONTENT_ENCODING: {
    status: 415,
    grpc: 'INVALID_ARGUMENT',
    message: 'Unsupported content encoding',
  },
  INFER_ERR_ABORTED: { status: 499, grpc: 'CANCELLED', message: 'Request aborted' },
  INFER_ERR_INTERNAL: { status: 500, grpc: 'INTERNAL', message: 'Internal server error' },
  INFER_ERR_MODEL_FAILED: { status: 500, grpc: 'INTERNAL', message: 'Model failed' },
  INFER_ERR_MODEL_LOAD_FAILED: { status: 500, grpc: 'INTERNAL', message: 'Model failed to load' },
  INFER_ERR_WORKER_CRASHED: { status: 500, grpc: 'INTERNAL', message: 'Worker crashed' },
  INFER_ERR_BATCH_ASSEMBLY: {
    status: 500,
    grpc: 'INTERNAL',
    message: 'Batch could not be assembled or split',
  },
  INFER_ERR_OUTPUT_ENCODING: {
    status: 500,
    grpc: 'INTERNAL',
    message: 'Model output cannot be encoded',
  },
  INFER_ERR_INVALID_OPTION: { status: 500, grpc: 'INTERNAL', message: 'Invalid option' },
  INFER_ERR_INVALID_SETTINGS: { status: 500, grpc: 'INTERNAL', message: 'Invalid settings' },
  INFER_ERR_UNSUPPORTED_SPEC_VERSION: {
    status: 500,
    grpc: 'INTERNAL',
    message: 'Unsupported specification version',
  },
  INFER_ERR_RUNTIME_NOT_FOUND: { status: 500, grpc: 'INTERNAL', message: 'Runtime not found' },
  INFER_ERR_MODEL_NOT_READY: { status: 503, grpc: 'UNAVAILABLE', message: 'Model not ready' },
  INFER_ERR_OVERLOADED: { status: 503, grpc: 'UNAVAILABLE', message: 'Server overloaded' },
  INFER_ERR_SHUTTING_DOWN: { status: 503, grpc: 'UNAVAILABLE', message: 'Server shutting down' },
  INFER_ERR_TIMEOUT: { status: 504, grpc: 'DEADLINE_EXCEEDED', message: 'Request timed out' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** An `INFER_ERR_*` code of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Whether `code` is one of the known `INFER_ERR_*` codes.
 *
 * @example
 * isErrorCode('INFER_ERR_TIMEOUT'); // true
 */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Options every {@link InferError} accepts. */
export interface InferErrorOptions {
  /** The original error, kept for logs; never sent to clients. */
  cause?: unknown;
}

/**
 * Base class of every @infer error: a `code` from {@link ERROR_CODES}, its `status`, and a
 * `Symbol.for('infer.error')` marker so {@link InferError.isInstance} works across
 * duplicate package copies (where `instanceof` does not).
 *
 * @example
 * try { await served.predict(request); } catch (e) { if (InferError.isInstance(e)) console.log(e.code); }
 */
export class InferError extends Error {
  readonly [MARKER] = true;
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string, options: InferErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].message, 'cause' in options ? { cause: options.cause } : {});
    this.name = 'InferError';
    this.code = code;
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /**
   * Whether `error` is an @infer error (marker check). Called on a subclass, also checks
   * the subclass's code: `ModelNotFoundError.isInstance(e)`.
   *
   * @example
   * ModelNotFoundError.isInstance(new ModelNotFoundError({ model: 'm' })); // true
   */
  static isInstance<T>(
    this: { prototype: T; readonly code?: ErrorCode },
    error: unknown,
  ): error is T {
    if (typeof error !== 'object' || error === null || !(MARKER in error)) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass isInstance was called on
    const expected = this.code;
    return expected === undefined || (error as { code?: unknown }).code === expected;
  }
}

/**
 * A malformed request that no more specific code describes.
 *
 * @example
 * throw new BadRequestError('inference-header-content-length must be an integer');
 */
export class BadRequestError extends InferError {
  static readonly code = 'INFER_ERR_BAD_REQUEST';
  constructor(message: string, options: InferErrorOptions = {}) {
    super('INFER_ERR_BAD_REQUEST', message, options);
    this.name = 'BadRequestError';
  }
}

/** Context of an {@link InvalidInputError}. */
export interface InvalidInputContext extends InferErrorOptions {
  /** Name of the offending input, when one input is at fault. */
  input?: string;
  /** What the model expects, e.g. `FP32 [-1,3]`. */
  expected?: string;
  /** What the request gave, e.g. `INT32 [2]`. */
  received?: string;
}

/**
 * A request that is well-formed but does not fit the model (wrong input name, datatype or
 * shape); runtimes throw it too. HTTP 400.
 *
 * @example
 * throw new InvalidInputError('input "x" must be FP32 [-1,3], got INT32 [2]', { input: 'x' });
 */
export class InvalidInputError extends InferError {
  static readonly code = 'INFER_ERR_INVALID_INPUT';
  readonly input: string | undefined;
  readonly expected: string | undefined;
  readonly received: string | undefined;
  constructor(message: string, context: InvalidInputContext = {}) {
    super('INFER_ERR_INVALID_INPUT', message, context);
    this.name = 'InvalidInputError';
    this.input = context.input;
    this.expected = context.expected;
    this.received = context.received;
  }
}

/** Context of errors about one model (and maybe one version). */
export interface ModelErrorContext extends InferErrorOptions {
  model: string;
  version?: string | undefined;
}

function modelLabel(context: ModelErrorContext): string {
  return context.version === undefined
    ? `"${context.model}"`
    : `"${context.model}" version "${context.version}"`;
}

/**
 * The request names an output the model does not produce. HTTP 400.
 *
 * @example
 * throw new OutputNotFoundError({ model: 'm', output: 'probs' });
 */
export class OutputNotFoundError extends InferError {
  static readonly code = 'INFER_ERR_OUTPUT_NOT_FOUND';
  readonly model: string;
  readonly output: string;
  constructor(context: ModelErrorContext & { output: string }) {
    super(
      'INFER_ERR_OUTPUT_NOT_FOUND',
      `Model ${modelLabel(context)} has no output "${context.output}"`,
      context,
    );
    this.name = 'OutputNotFoundError';
    this.model = context.model;
    this.output = context.output;
  }
}

/** Options of {@link UnauthorizedError}. */
export interface UnauthorizedErrorOptions extends InferErrorOptions {
  /** A token was given but is not valid: `WWW-Authenticate` adds `error="invalid_token"`. */
  invalidToken?: boolean | undefined;
}

/**
 * No valid credentials on the repository API (RFC 6750): no `Authorization: Bearer <token>`,
 * or a token that is not the configured one (`invalidToken`). HTTP 401 with
 * `WWW-Authenticate: Bearer realm="infer"` (plus `error="invalid_token"` for a wrong token).
 *
 * @example
 * throw new UnauthorizedError('The bearer token is not valid', { invalidToken: true });
 */
export class UnauthorizedError extends InferError {
  static readonly code = 'INFER_ERR_UNAUTHORIZED';
  /** A token was given but is not valid. */
  readonly invalidToken: boolean;
  constructor(
    message = 'A valid bearer token is required',
    options: UnauthorizedErrorOptions = {},
  ) {
    super('INFER_ERR_UNAUTHORIZED', message, options);
    this.name = 'UnauthorizedError';
    this.invalidToken = options.invalidToken === true;
  }
}

/**
 * Valid credentials that do not allow the action (for permission checks a host app adds;
 * a wrong repository API token is an {@link UnauthorizedError}). HTTP 403.
 *
 * @example
 * throw new ForbiddenError('loading models is disabled');
 */
export class ForbiddenError extends InferError {
  static readonly code = 'INFER_ERR_FORBIDDEN';
  constructor(message = 'Forbidden', options: InferErrorOptions = {}) {
    super('INFER_ERR_FORBIDDEN', message, options);
    this.name = 'ForbiddenError';
  }
}

/**
 * No model of that name is registered. HTTP 404.
 *
 * @example
 * throw new ModelNotFoundError({ model: 'resnet' });
 */
export class ModelNotFoundError extends InferError {
  static readonly code = 'INFER_ERR_MODEL_NOT_FOUND';
  readonly model: string;
  constructor(context: ModelErrorContext) {
    super('INFER_ERR_MODEL_NOT_FOUND', `Model "${context.model}" not found`, context);
    this.name = 'ModelNotFoundError';
    this.model = context.model;
  }
}

/**
 * The model exists but not that version. HTTP 404.
 *
 * @example
 * throw new VersionNotFoundError({ model: 'resnet', version: '3' });
 */
export class VersionNotFoundError extends InferError {
  static readonly code = 'INFER_ERR_VERSION_NOT_FOUND';
  readonly model: string;
  readonly version: string;
  constructor(context: ModelErrorContext & { version: string }) {
    super(
      'INFER_ERR_VERSION_NOT_FOUND',
      `Model "${context.model}" has no version "${context.version}"`,
      context,
    );
    this.name = 'VersionNotFoundError';
    this.model = context.model;
    this.version = context.version;
  }
}

/**
 * No route matches the path. HTTP 404.
 *
 * @example
 * throw new RouteNotFoundError({ method: 'GET', path: '/v3' });
 */
export class RouteNotFoundError extends InferError {
  static readonly code = 'INFER_ERR_ROUTE_NOT_FOUND';
  readonly method: string;
  readonly path: string;
  constructor(context: { method: string; path: string }) {
    super('INFER_ERR_ROUTE_NOT_FOUND', `No route for ${context.method} ${context.path}`);
    this.name = 'RouteNotFoundError';
    this.method = context.method;
    this.path = context.path;
  }
}

/**
 * The path exists but not for this method; the service sends `Allow`. HTTP 405.
 *
 * @example
 * throw new MethodNotAllowedError({ method: 'PUT', path: '/v2', allow: ['GET', 'HEAD'] });
 */
export class MethodNotAllowedError extends InferError {
  static readonly code = 'INFER_ERR_METHOD_NOT_ALLOWED';
  readonly method: string;
  readonly path: string;
  readonly allow: readonly string[];
  constructor(context: { method: string; path: string; allow: readonly string[] }) {
    super(
      'INFER_ERR_METHOD_NOT_ALLOWED',
      `Method ${context.method} not allowed on ${context.path}; allowed: ${context.allow.join(', ')}`,
    );
    this.name = 'MethodNotAllowedError';
    this.method = context.method;
    this.path = context.path;
    this.allow = context.allow;
  }
}

/**
 * A model with the same name and version is already in the repository. HTTP 409.
 *
 * @example
 * throw new ModelExistsError({ model: 'm', version: '1' });
 */
export class ModelExistsError extends InferError {
  static readonly code = 'INFER_ERR_MODEL_EXISTS';
  readonly model: string;
  readonly version: string | undefined;
  constructor(context: ModelErrorContext) {
    super('INFER_ERR_MODEL_EXISTS', `Model ${modelLabel(context)} is already registered`);
    this.name = 'ModelExistsError';
    this.model = context.model;
    this.version = context.version;
  }
}

/**
 * The body is larger than the configured limit. HTTP 413.
 *
 * @example
 * throw new BodyTooLargeError({ limitBytes: 64 * 1024 * 1024 });
 */
export class BodyTooLargeError extends InferError {
  static readonly code = 'INFER_ERR_BODY_TOO_LARGE';
  readonly limitBytes: number;
  readonly receivedBytes: number | undefined;
  /** The `Content-Encoding` whose decoded body passed the limit (the wire body did not). */
  readonly contentEncoding: string | undefined;
  constructor(context: { limitBytes: number; receivedBytes?: number; contentEncoding?: string }) {
    super(
      'INFER_ERR_BODY_TOO_LARGE',
      context.contentEncoding === undefined
        ? `Request body exceeds the limit of ${context.limitBytes} bytes`
        : `Request body exceeds the limit of ${context.limitBytes} bytes once decoded from ${context.contentEncoding}`,
    );
    this.name = 'BodyTooLargeError';
    this.limitBytes = context.limitBytes;
    this.receivedBytes = context.receivedBytes;
    this.contentEncoding = context.contentEncoding;
  }
}

/**
 * The body's Content-Type is not one the route accepts. HTTP 415.
 *
 * @example
 * throw new UnsupportedMediaTypeError({ contentType: 'text/plain', accepted: ['application/json'] });
 */
export class UnsupportedMediaTypeError extends InferError {
  static readonly code = 'INFER_ERR_UNSUPPORTED_MEDIA_TYPE';
  readonly contentType: string;
  readonly accepted: readonly string[];
  constructor(context: { contentType: string; accepted: readonly string[] }) {
    super(
      'INFER_ERR_UNSUPPORTED_MEDIA_TYPE',
      `Content-Type "${context.contentType}" is not supported; send ${context.accepted.join(' or ')}`,
    );
    this.name = 'UnsupportedMediaTypeError';
    this.contentType = context.contentType;
    this.accepted = context.accepted;
  }
}

/**
 * The body's `Content-Encoding` is not one the server decodes (gzip, deflate). HTTP 415,
 * with the accepted codings in the answer's `Accept-Encoding` (RFC 9110 section 15.5.16).
 *
 * @example
 * throw new UnsupportedContentEncodingError({ encoding: 'zstd', accepted: ['gzip', 'deflate'] });
 */
export class UnsupportedContentEncodingError extends InferError {
  static readonly code = 'INFER_ERR_UNSUPPORTED_CONTENT_ENCODING';
  readonly encoding: string;
  readonly accepted: readonly string[];
  constructor(context: { encoding: string; accepted: readonly string[] }) {
    super(
      'INFER_ERR_UNSUPPORTED_CONTENT_ENCODING',
      `Content-Encoding "${context.encoding}" is not supported; send ${context.accepted.join(', ')} or identity`,
    );
    this.name = 'UnsupportedContentEncodingError';
    this.encoding = context.encoding;
    this.accepted = context.accepted;
  }
}

/**
 * The model threw while predicting; the cause is logged, never sent. HTTP 500. The
 * message is `Model "m" failed to predict` unless a (client-safe) message is given first.
 *
 * @example
 * throw new ModelFailedError({ model: 'm', cause: error });
 * throw new ModelFailedError('model "m" returned no scores', { model: 'm' });
 */
export class ModelFailedError extends InferError {
  static readonly code = 'INFER_ERR_MODEL_FAILED';
  readonly model: string;
  readonly version: string | undefined;
  constructor(messageOrContext: string | ModelErrorContext, maybeContext?: ModelErrorContext) {
    const context =
      typeof messageOrContext === 'string' ? (maybeContext ?? { model: '' }) : messageOrContext;
    const message =
      typeof messageOrContext === 'string'
        ? messageOrContext
        : `Model ${modelLabel(context)} failed to predict`;
    super('INFER_ERR_MODEL_FAILED', message, context);
    this.name = 'ModelFailedError';
    this.model = context.model;
    this.version = context.version;
  }
}

/** Context of an {@link OutputEncodingError}. */
export interface OutputEncodingContext extends ModelErrorContext {
  /** Name of the output that cannot be encoded, when the encoder named one. */
  output?: string | undefined;
  /** Why, in words a client may read (e.g. the codec's message about a NaN element). */
  reason: string;
}

/**
 * The model produced an output the response cannot carry: NaN or ±Infinity in a JSON
 * response (JSON has no such numbers; the binary tensor extension carries them), non-UTF-8
 * BYTES in JSON, data that does not match the output's shape. The model's fault, not the
 * client's: HTTP 500, logged with the cause.
 *
 * @example
 * throw new OutputEncodingError({ model: 'm', output: 'y', reason: 'data element 0 is NaN' });
 */
export class OutputEncodingError extends InferError {
  static readonly code = 'INFER_ERR_OUTPUT_ENCODING';
  readonly model: string;
  readonly version: string | undefined;
  readonly output: string | undefined;
  constructor(context: OutputEncodingContext) {
    const output = context.output === undefined ? '' : ` output "${context.output}"`;
    super(
      'INFER_ERR_OUTPUT_ENCODING',
      `Model ${modelLabel(context)}${output} cannot be encoded in the response: ${context.reason}`,
      context,
    );
    this.name = 'OutputEncodingError';
    this.model = context.model;
    this.version = context.version;
    this.output = context.output;
  }
}

/**
 * The model threw while loading; `reason` is the cause's message (shown in the repository
 * index and model metadata so operators see why). HTTP 500.
 *
 * @example
 * throw new ModelLoadFailedError({ model: 'm', cause: new Error('file not found') });
 */
export class ModelLoadFailedError extends InferError {
  static readonly code = 'INFER_ERR_MODEL_LOAD_FAILED';
  readonly model: string;
  readonly version: string | undefined;
  readonly reason: string;
  constructor(context: ModelErrorContext) {
    // The same model's load failure wrapped again (a worker thread's, rethrown by its pool)
    // keeps its reason and version, not "Model m failed to load: Model m failed to load: ...".
    const inner = context.cause as
      | { code?: unknown; reason?: unknown; model?: unknown; version?: unknown }
      | null
      | undefined;
    const again =
      inner?.code === 'INFER_ERR_MODEL_LOAD_FAILED' &&
      typeof inner.reason === 'string' &&
      inner.model === context.model;
    const full: ModelErrorContext =
      again && context.version === undefined && typeof inner.version === 'string'
        ? { ...context, version: inner.version }
        : context;
    const reason = again
      ? (inner.reason as string)
      : context.cause instanceof Error
        ? context.cause.message
        : String(context.cause);
    super(
      'INFER_ERR_MODEL_LOAD_FAILED',
      `Model ${modelLabel(full)} failed to load: ${reason}`,
      full,
    );
    this.name = 'ModelLoadFailedError';
    this.model = context.model;
    this.version = full.version;
    this.reason = reason;
  }
}

/**
 * A worker thread died while running a batch; the pool replaces it. HTTP 500.
 *
 * @example
 * throw new WorkerCrashedError({ model: 'm', cause: error });
 */
export class WorkerCrashedError extends InferError {
  static readonly code = 'INFER_ERR_WORKER_CRASHED';
  readonly model: string;
  constructor(context: ModelErrorContext) {
    super('INFER_ERR_WORKER_CRASHED', `A worker of model ${modelLabel(context)} crashed`, context);
    this.name = 'WorkerCrashedError';
    this.model = context.model;
  }
}

/**
 * An option failed validation; the message names its path
 * (`options.maxBatchSize must be a positive integer`).
 *
 * @example
 * throw new InvalidOptionError('options.workers', 'must be a non-negative integer');
 */
export class InvalidOptionError extends InferError {
  static readonly code = 'INFER_ERR_INVALID_OPTION';
  readonly path: string;
  constructor(path: string, requirement: string, options: InferErrorOptions = {}) {
    super('INFER_ERR_INVALID_OPTION', `${path} ${requirement}`, options);
    this.name = 'InvalidOptionError';
    this.path = path;
  }
}

/**
 * A settings file or env variable failed validation: the file, the field and the reason.
 *
 * @example
 * throw new InvalidSettingsError({ file: 'model-settings.json', field: 'workers', reason: 'must be >= 0' });
 */
export class InvalidSettingsError extends InferError {
  static readonly code = 'INFER_ERR_INVALID_SETTINGS';
  readonly file: string | undefined;
  readonly field: string | undefined;
  readonly reason: string;
  constructor(context: { file?: string; field?: string; reason: string } & InferErrorOptions) {
    const where = [context.file, context.field].filter((part) => part !== undefined).join(': ');
    super(
      'INFER_ERR_INVALID_SETTINGS',
      where === '' ? context.reason : `${where}: ${context.reason}`,
      context,
    );
    this.name = 'InvalidSettingsError';
    this.file = context.file;
    this.field = context.field;
    this.reason = context.reason;
  }
}

/**
 * A model or plugin declares a `specificationVersion` this core does not know.
 *
 * @example
 * throw new UnsupportedSpecVersionError({ specificationVersion: 'v9' });
 */
export class UnsupportedSpecVersionError extends InferError {
  static readonly code = 'INFER_ERR_UNSUPPORTED_SPEC_VERSION';
  readonly specificationVersion: unknown;
  constructor(context: { specificationVersion: unknown; what?: string }) {
    super(
      'INFER_ERR_UNSUPPORTED_SPEC_VERSION',
      `Unsupported ${context.what ?? 'model'} specificationVersion ${JSON.stringify(
        context.specificationVersion,
      )}; this @infer/core supports "v1"`,
    );
    this.name = 'UnsupportedSpecVersionError';
    this.specificationVersion = context.specificationVersion;
  }
}

/**
 * No runtime could be loaded; `tried` lists every candidate and why it failed.
 *
 * @example
 * throw new RuntimeNotFoundError({ runtime: 'infer-runtime-foo', tried: [{ name: 'infer-runtime-foo', reason: 'not installed' }] });
 */
export class RuntimeNotFoundError extends InferError {
  static readonly code = 'INFER_ERR_RUNTIME_NOT_FOUND';
  readonly runtime: string;
  readonly tried: readonly { name: string; reason: string }[];
  constructor(
    context: {
      runtime: string;
      tried: readonly { name: string; reason: string }[];
    } & InferErrorOptions,
  ) {
    const list = context.tried.map((candidate) => `${candidate.name}: ${candidate.reason}`);
    super(
      'INFER_ERR_RUNTIME_NOT_FOUND',
      `Runtime "${context.runtime}" not found${list.length > 0 ? ` (tried ${list.join('; ')})` : ''}`,
      context,
    );
    this.name = 'RuntimeNotFoundError';
    this.runtime = context.runtime;
    this.tried = context.tried;
  }
}

/**
 * The model is registered but not loaded (loading, unloading, or its load failed). HTTP 503.
 *
 * @example
 * throw new ModelNotReadyError({ model: 'm', reason: 'LOADING' });
 */
export class ModelNotReadyError extends InferError {
  static readonly code = 'INFER_ERR_MODEL_NOT_READY';
  readonly model: string;
  readonly version: string | undefined;
  readonly reason: string | undefined;
  constructor(context: ModelErrorContext & { reason?: string | undefined }) {
    super(
      'INFER_ERR_MODEL_NOT_READY',
      `Model ${modelLabel(context)} is not ready${context.reason ? `: ${context.reason}` : ''}`,
      context,
    );
    this.name = 'ModelNotReadyError';
    this.model = context.model;
    this.version = context.version;
    this.reason = context.reason;
  }
}

/**
 * The server is draining for shutdown and takes no new inference. HTTP 503.
 *
 * @example
 * throw new ShuttingDownError();
 */
export class ShuttingDownError extends InferError {
  static readonly code = 'INFER_ERR_SHUTTING_DOWN';
  constructor(message = 'Server is shutting down', options: InferErrorOptions = {}) {
    super('INFER_ERR_SHUTTING_DOWN', message, options);
    this.name = 'ShuttingDownError';
  }
}

/** Reads a known code from any error: ours, or another @infer package's (marker or code). */
function codeOf(error: unknown): ErrorCode | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (!isErrorCode(code)) return undefined;
  return MARKER in error || error instanceof Error ? code : undefined;
}

/**
 * The HTTP status for any thrown value: the table's status for a known code (ours,
 * `CodecError`, batching errors), 500 for anything else.
 *
 * @example
 * httpStatusOf(new ModelNotFoundError({ model: 'm' })); // 404
 */
export function httpStatusOf(error: unknown): number {
  const code = codeOf(error);
  return code === undefined ? 500 : ERROR_CODES[code].status;
}

/**
 * The error code for any thrown value (`INFER_ERR_INTERNAL` when unknown).
 *
 * @example
 * errorCodeOf(new Error('boom')); // 'INFER_ERR_INTERNAL'
 */
export function errorCodeOf(error: unknown): ErrorCode {
  return codeOf(error) ?? 'INFER_ERR_INTERNAL';
}

/**
 * The public message for any thrown value: the error's own message for a known code, a
 * generic one otherwise (an unknown error's message and stack may leak internals).
 *
 * @example
 * publicMessageOf(new TypeError('secret path /etc')); // 'Internal server error'
 */
export function publicMessageOf(error: unknown): string {
  const code = codeOf(error);
  if (code === undefined) return ERROR_CODES.INFER_ERR_INTERNAL.message;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && message !== '' ? message : ERROR_CODES[code].message;
}

/**
 * The OIP error body `{"error": "..."}` for any thrown value.
 *
 * @example
 * toErrorBody(new ModelNotFoundError({ model: 'm' })); // { error: 'Model "m" not found' }
 */
export function toErrorBody(error: unknown): { error: string } {
  return { error: publicMessageOf(error) };
}

/**
 * Extra response headers an error calls for: `Retry-After` on 503 overloaded (from the
 * error's `retryAfterSeconds`, default 1), `Allow` on 405, `WWW-Authenticate` on 401,
 * `Accept-Encoding` on 415 for a content coding the server does not decode.
 *
 * @example
 * errorHeadersOf(new MethodNotAllowedError({ method: 'PUT', path: '/v2', allow: ['GET'] })); // { allow: 'GET' }
 */
export function errorHeadersOf(error: unknown): Record<string, string> {
  const code = codeOf(error);
  if (code === 'INFER_ERR_OVERLOADED') {
    const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    const value = typeof seconds === 'number' && seconds > 0 ? Math.ceil(seconds) : 1;
    return { 'retry-after': String(value) };
  }
  if (code === 'INFER_ERR_UNAUTHORIZED') {
    const invalid = (error as { invalidToken?: unknown }).invalidToken === true;
    return {
      'www-authenticate': invalid
        ? 'Bearer realm="infer", error="invalid_token"'
        : 'Bearer realm="infer"',
    };
  }
  if (code === 'INFER_ERR_UNSUPPORTED_CONTENT_ENCODING') {
    const accepted = (error as { accepted?: unknown }).accepted;
    if (Array.isArray(accepted)) return { 'accept-encoding': [...accepted, 'identity'].join(', ') };
  }
  if (code === 'INFER_ERR_METHOD_NOT_ALLOWED') {
    const allow = (error as { allow?: unknown }).allow;
    if (Array.isArray(allow)) return { allow: allow.join(', ') };
  }
  return {};
}
