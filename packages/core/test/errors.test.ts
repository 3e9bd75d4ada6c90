import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AbortError, BatcherClosedError, OverloadedError, TimeoutError } from '@infer/batching';
import { CodecError } from '@infer/codecs';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  BodyTooLargeError,
  ERROR_CODES,
  errorCodeOf,
  errorHeadersOf,
  ForbiddenError,
  httpStatusOf,
  InferError,
  InvalidInputError,
  InvalidOptionError,
  InvalidSettingsError,
  isErrorCode,
  MethodNotAllowedError,
  ModelExistsError,
  ModelFailedError,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelNotReadyError,
  OutputEncodingError,
  OutputNotFoundError,
  publicMessageOf,
  RouteNotFoundError,
  RuntimeNotFoundError,
  ShuttingDownError,
  toErrorBody,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UnsupportedSpecVersionError,
  VersionNotFoundError,
  WorkerCrashedError,
} from '../src/errors';

const docs = readFileSync(
  fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)),
  'utf8',
);

describe('error code table', () => {
  it('pins the number of codes (never reuse or drop one)', () => {
    expect(Object.keys(ERROR_CODES)).toHaveLength(29);
  });

  it('documents every code in docs/errors.md with its HTTP and gRPC status', () => {
    const rows = new Map(
      docs
        .split('\n')
        .filter((line) => line.startsWith('| `INFER_ERR_'))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map((cells) => [cells[1]!.replaceAll('`', ''), cells] as const),
    );
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const cells = rows.get(code);
      expect(cells, `${code} missing from docs/errors.md`).toBeDefined();
      expect(cells![2], code).toBe(String(info.status));
      expect(cells![3], code).toBe(info.grpc);
    }
  });

  it('documents no code that is not in the table', () => {
    const documented = [...docs.matchAll(/^\| `(INFER_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('maps the codes of the brief to their statuses', () => {
    const expected: Record<string, number> = {
      INFER_ERR_BAD_REQUEST: 400,
      INFER_ERR_CODEC: 400,
      INFER_ERR_INVALID_INPUT: 400,
      INFER_ERR_UNAUTHORIZED: 401,
      INFER_ERR_FORBIDDEN: 403,
      INFER_ERR_MODEL_NOT_FOUND: 404,
      INFER_ERR_VERSION_NOT_FOUND: 404,
      INFER_ERR_ROUTE_NOT_FOUND: 404,
      INFER_ERR_METHOD_NOT_ALLOWED: 405,
      INFER_ERR_BODY_TOO_LARGE: 413,
      INFER_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
      INFER_ERR_ABORTED: 499,
      INFER_ERR_MODEL_FAILED: 500,
      INFER_ERR_MODEL_LOAD_FAILED: 500,
      INFER_ERR_WORKER_CRASHED: 500,
      INFER_ERR_OUTPUT_ENCODING: 500,
      INFER_ERR_MODEL_NOT_READY: 503,
      INFER_ERR_OVERLOADED: 503,
      INFER_ERR_SHUTTING_DOWN: 503,
      INFER_ERR_TIMEOUT: 504,
    };
    for (const [code, status] of Object.entries(expected)) {
      expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status, code).toBe(status);
    }
  });
});

describe('error classes', () => {
  const cause = new Error('disk on fire');
  const cases: [InferError, string, number][] = [
    [new BadRequestError('x'), 'INFER_ERR_BAD_REQUEST', 400],
    [new InvalidInputError('x', { input: 'a' }), 'INFER_ERR_INVALID_INPUT', 400],
    [new OutputNotFoundError({ model: 'm', output: 'o' }), 'INFER_ERR_OUTPUT_NOT_FOUND', 400],
    [new UnauthorizedError(), 'INFER_ERR_UNAUTHORIZED', 401],
    [new ForbiddenError(), 'INFER_ERR_FORBIDDEN', 403],
    [new ModelNotFoundError({ model: 'm' }), 'INFER_ERR_MODEL_NOT_FOUND', 404],
    [new VersionNotFoundError({ model: 'm', version: '2' }), 'INFER_ERR_VERSION_NOT_FOUND', 404],
    [new RouteNotFoundError({ method: 'GET', path: '/x' }), 'INFER_ERR_ROUTE_NOT_FOUND', 404],
    [
      new MethodNotAllowedError({ method: 'PUT', path: '/v2', allow: ['GET'] }),
      'INFER_ERR_METHOD_NOT_ALLOWED',
      405,
    ],
    [new ModelExistsError({ model: 'm' }), 'INFER_ERR_MODEL_EXISTS', 409],
    [new BodyTooLargeError({ limitBytes: 10 }), 'INFER_ERR_BODY_TOO_LARGE', 413],
    [
      new UnsupportedMediaTypeError({ contentType: 'text/plain', accepted: ['application/json'] }),
      'INFER_ERR_UNSUPPORTED_MEDIA_TYPE',
      415,
    ],
    [new ModelFailedError({ model: 'm', cause }), 'INFER_ERR_MODEL_FAILED', 500],
    [new ModelLoadFailedError({ model: 'm', cause }), 'INFER_ERR_MODEL_LOAD_FAILED', 500],
    [new WorkerCrashedError({ model: 'm', cause }), 'INFER_ERR_WORKER_CRASHED', 500],
    [
      new OutputEncodingError({ model: 'm', output: 'y', reason: 'NaN' }),
      'INFER_ERR_OUTPUT_ENCODING',
      500,
    ],
    [new InvalidOptionError('options.x', 'must be 1'), 'INFER_ERR_INVALID_OPTION', 500],
    [new InvalidSettingsError({ reason: 'bad' }), 'INFER_ERR_INVALID_SETTINGS', 500],
    [
      new UnsupportedSpecVersionError({ specificationVersion: 'v9' }),
      'INFER_ERR_UNSUPPORTED_SPEC_VERSION',
      500,
    ],
    [new RuntimeNotFoundError({ runtime: 'r', tried: [] }), 'INFER_ERR_RUNTIME_NOT_FOUND', 500],
    [new ModelNotReadyError({ model: 'm' }), 'INFER_ERR_MODEL_NOT_READY', 503],
    [new ShuttingDownError(), 'INFER_ERR_SHUTTING_DOWN', 503],
  ];

  it.each(cases)('%s has its code, status and marker', (error, code, status) => {
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(httpStatusOf(error)).toBe(status);
    expect(InferError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).not.toBe('');
  });

  it('isInstance on a subclass checks the code too', () => {
    const notFound = new ModelNotFoundError({ model: 'm' });
    expect(ModelNotFoundError.isInstance(notFound)).toBe(true);
    expect(ModelNotReadyError.isInstance(notFound)).toBe(false);
    expect(InferError.isInstance(new Error('x'))).toBe(false);
    expect(InferError.isInstance(null)).toBe(false);
  });

  it('isInstance works across package copies through the Symbol.for marker', () => {
    const foreign = Object.assign(new Error('other copy'), {
      code: 'INFER_ERR_MODEL_NOT_FOUND',
      [Symbol.for('infer.error')]: true,
    });
    expect(InferError.isInstance(foreign)).toBe(true);
    expect(ModelNotFoundError.isInstance(foreign)).toBe(true);
  });

  it('keeps context in typed fields and the original error as cause', () => {
    const error = new ModelLoadFailedError({ model: 'm', version: '2', cause });
    expect(error.cause).toBe(cause);
    expect(error.reason).toBe('disk on fire');
    expect(error.message).toBe('Model "m" version "2" failed to load: disk on fire');
    // Wrapped again (a worker's load failure, as its pool rethrows it): one prefix, one reason.
    const again = new ModelLoadFailedError({ model: 'm', cause: error });
    expect(again.message).toBe('Model "m" version "2" failed to load: disk on fire');
    expect(again.version).toBe('2');
    expect(again.cause).toBe(error);
    // Another model's failure inside this one's (a wrapper): both named.
    const outer = new ModelLoadFailedError({ model: 'classifier', cause: error });
    expect(outer.message).toBe(
      'Model "classifier" failed to load: Model "m" version "2" failed to load: disk on fire',
    );
    expect(outer.version).toBeUndefined();
    const input = new InvalidInputError('bad', {
      input: 'x',
      expected: 'FP32 [-1]',
      received: 'INT8 [2]',
    });
    expect([input.input, input.expected, input.received]).toEqual(['x', 'FP32 [-1]', 'INT8 [2]']);
    const runtime = new RuntimeNotFoundError({
      runtime: 'infer-runtime-foo',
      tried: [{ name: '/app', reason: 'not installed' }],
    });
    expect(runtime.message).toContain('/app: not installed');
  });
});

describe('httpStatusOf and the public body', () => {
  it('maps errors of the other packages by code and marker', () => {
    expect(httpStatusOf(new CodecError('bad json'))).toBe(400);
    expect(httpStatusOf(new OverloadedError(10, 3))).toBe(503);
    expect(httpStatusOf(new TimeoutError(5))).toBe(504);
    expect(httpStatusOf(new AbortError('gone'))).toBe(499);
    expect(httpStatusOf(new BatcherClosedError())).toBe(503);
    expect(toErrorBody(new CodecError('inputs[0]: bad'))).toEqual({ error: 'inputs[0]: bad' });
  });

  it('answers 500 with a generic message for unknown errors, never their text', () => {
    const secret = new TypeError('cannot read /etc/secret');
    expect(httpStatusOf(secret)).toBe(500);
    expect(errorCodeOf(secret)).toBe('INFER_ERR_INTERNAL');
    expect(toErrorBody(secret)).toEqual({ error: 'Internal server error' });
    expect(publicMessageOf('a string')).toBe('Internal server error');
    expect(httpStatusOf({ code: 'INFER_ERR_TIMEOUT' })).toBe(500); // a plain object is not an error
    expect(httpStatusOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(500);
  });

  it('lets a model failure carry its own client-safe message', () => {
    const error = new ModelFailedError('model "m" returned no scores', { model: 'm' });
    expect([error.message, error.model, error.status]).toEqual([
      'model "m" returned no scores',
      'm',
      500,
    ]);
  });

  it('names the model and output of an output that cannot be encoded', () => {
    const error = new OutputEncodingError({
      model: 'm',
      version: '2',
      output: 'y',
      reason: 'data element 3 is NaN',
    });
    expect(error.message).toBe(
      'Model "m" version "2" output "y" cannot be encoded in the response: data element 3 is NaN',
    );
    expect(error).toMatchObject({ model: 'm', version: '2', output: 'y' });
  });

  it('does not put the cause of a model failure in the body', () => {
    const error = new ModelFailedError({ model: 'm', cause: new Error('SECRET') });
    expect(JSON.stringify(toErrorBody(error))).not.toContain('SECRET');
  });

  it('adds Retry-After to overloaded, Allow to method-not-allowed, WWW-Authenticate to 401', () => {
    expect(errorHeadersOf(new UnauthorizedError())).toEqual({
      'www-authenticate': 'Bearer realm="infer"',
    });
    expect(errorHeadersOf(new UnauthorizedError('wrong', { invalidToken: true }))).toEqual({
      'www-authenticate': 'Bearer realm="infer", error="invalid_token"',
    });
    expect(errorHeadersOf(new ForbiddenError())).toEqual({});
    expect(errorHeadersOf(new OverloadedError(10, 2.2))).toEqual({ 'retry-after': '3' });
    expect(errorHeadersOf(Object.assign(new Error('x'), { code: 'INFER_ERR_OVERLOADED' }))).toEqual(
      { 'retry-after': '1' },
    );
    expect(
      errorHeadersOf(
        new MethodNotAllowedError({ method: 'PUT', path: '/', allow: ['GET', 'HEAD'] }),
      ),
    ).toEqual({ allow: 'GET, HEAD' });
    expect(errorHeadersOf(new Error('x'))).toEqual({});
  });

  it('recognises codes', () => {
    expect(isErrorCode('INFER_ERR_TIMEOUT')).toBe(true);
    expect(isErrorCode('INFER_ERR_NOPE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});
