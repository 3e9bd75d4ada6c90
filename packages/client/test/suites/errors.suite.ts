/** Typed errors: server error statuses with code and message, and inputs rejected before sending. */
import { createClient, InferClientError } from '@infer/client';
import type { SuiteApi, SuiteHost } from './suite-api';

async function rejection(promise: Promise<unknown>): Promise<InferClientError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!InferClientError.isInstance(error))
    throw new Error(`expected an InferClientError, got ${String(error)}`);
  return error;
}

export function errorsSuite({ describe, it, expect }: SuiteApi, host: SuiteHost): void {
  const client = {
    model: (name: string) => createClient({ baseUrl: host.url }).model(name),
  };

  describe('server errors', () => {
    it('rejects an unknown model with INFER_CLIENT_ERR_HTTP 404 and the server message', async () => {
      const error = await rejection(client.model('nope').infer({ x: new Float32Array(1) }));
      expect(error).toBeInstanceOf(InferClientError);
      expect(error.code).toBe('INFER_CLIENT_ERR_HTTP');
      expect(error.status).toBe(404);
      expect(error.serverMessage).toMatch(/nope/);
      expect(error.message).toContain('404');
      expect(error.url).toBe(`${host.url}/v2/models/nope/infer`);
      expect(error.method).toBe('POST');
    });

    it('rejects an input that does not fit the model with 400 and the server message', async () => {
      const error = await rejection(client.model('echo-fp32').infer({ x: new Int32Array([1]) }));
      expect(error.code).toBe('INFER_CLIENT_ERR_HTTP');
      expect(error.status).toBe(400);
      expect(error.serverMessage).toMatch(/FP32/);
    });

    it('rejects a binary request that does not fit the model with 400 too', async () => {
      const error = await rejection(
        client.model('echo-fp32').infer({ x: new Int32Array([1]) }, { binary: true }),
      );
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HTTP', status: 400 });
      expect(error.serverMessage).toMatch(/FP32/);
    });

    it('rejects metadata of an unknown model with 404', async () => {
      const error = await rejection(client.model('nope').metadata());
      expect(error.status).toBe(404);
    });
  });

  describe('input errors (rejected before anything is sent)', () => {
    it('rejects a shape that does not match the data', async () => {
      const error = await rejection(
        client.model('echo-fp32').infer({ x: { data: new Float32Array(3), shape: [2, 2] } }),
      );
      expect(error.code).toBe('INFER_CLIENT_ERR_INVALID_INPUT');
      expect(error.message).toMatch(/inputs\.x/);
    });

    it('rejects a plain array of numbers without a datatype', async () => {
      const error = await rejection(client.model('echo-fp32').infer({ x: [1, 2] }));
      expect(error.code).toBe('INFER_CLIENT_ERR_INVALID_INPUT');
      expect(error.message).toBe(
        'inputs.x: a plain array of numbers needs a datatype ({ data, datatype: "FP32" }) or a typed array',
      );
    });

    it('rejects a typed array that does not hold the datatype', async () => {
      const error = await rejection(
        client.model('echo-int64').infer({ x: { data: new Float32Array(1), datatype: 'INT64' } }),
      );
      expect(error.message).toBe(
        'inputs.x: Float32Array does not hold INT64 (pass a BigInt64Array or an array of numbers)',
      );
    });

    it('rejects an integer out of range for its datatype', async () => {
      const error = await rejection(
        client.model('echo-uint8').infer({ x: { data: [256], datatype: 'UINT8' } }),
      );
      expect(error.message).toBe(
        'inputs.x: data element 0 must be an integer in [0, 255] (UINT8), got 256',
      );
    });

    it('checks plain elements as the server checks JSON (finite floats, booleans for BOOL)', async () => {
      const nan = await rejection(
        client.model('echo-fp32').infer({ x: { data: [1, Number.NaN], datatype: 'FP32' } }),
      );
      expect(nan.code).toBe('INFER_CLIENT_ERR_INVALID_INPUT');
      expect(nan.message).toBe(
        'inputs.x: data element 1 must be a finite number within FP32 range, got NaN',
      );
      const bool = await rejection(
        client.model('echo-bool').infer({ x: { data: [1, 0] as never, datatype: 'BOOL' } }),
      );
      expect(bool.message).toBe('inputs.x: data element 0 must be true or false (BOOL), got 1');
    });

    it('rejects a BYTES string with a lone surrogate instead of sending U+FFFD for it', async () => {
      const error = await rejection(
        client.model('echo-fp32').infer({ s: { data: ['ok', 'a\uD800b'], datatype: 'BYTES' } }),
      );
      expect(error.code).toBe('INFER_CLIENT_ERR_INVALID_INPUT');
      expect(error.message).toBe(
        'inputs.s: BYTES element 1 must be well-formed text or a Uint8Array, got "a\\ud800b"',
      );
    });

    it('rejects, never throws synchronously', () => {
      const promise = client.model('echo-fp32').infer(null as never);
      expect(promise).toBeInstanceOf(Promise);
      return expect(promise).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_INVALID_INPUT' });
    });
  });

  describe('InferClientError', () => {
    it('carries the shared @infer marker so isInstance works across package copies', () => {
      const foreign = Object.assign(new Error('x'), {
        code: 'INFER_CLIENT_ERR_TIMEOUT',
        [Symbol.for('infer.error')]: true,
      });
      expect(InferClientError.isInstance(foreign)).toBe(true);
      expect(InferClientError.isInstance(new Error('x'))).toBe(false);
      const own = new InferClientError('INFER_CLIENT_ERR_HTTP', 'm', {
        status: 503,
        retryAfter: 2,
      });
      expect((own as unknown as Record<symbol, unknown>)[Symbol.for('infer.error')]).toBe(true);
      expect(own).toMatchObject({ name: 'InferClientError', status: 503, retryAfter: 2 });
    });
  });
}
