import { describe, expect, it } from 'vitest';
import { deserializeError, serializeError } from '../../src/pool/worker-protocol';

describe('serializeError', () => {
  it('keeps the string name, message and code and the primitive fields of a thrown object', () => {
    const thrown = { name: 'RangeError', code: 'E_RANGE', message: 'x must be positive', at: 3 };
    const serialized = serializeError({ ...thrown, nested: { a: 1 }, fn: () => 1 });
    expect(serialized).toEqual({
      name: 'RangeError',
      message: 'x must be positive',
      code: 'E_RANGE',
      fields: { at: 3 },
    });
    expect(deserializeError(serialized)).toMatchObject(thrown);
  });

  it('a thrown object with an INFER_ERR code becomes that error in the main thread', () => {
    const error = deserializeError(
      serializeError({ code: 'INFER_ERR_INVALID_INPUT', message: 'x must be positive' }),
    );
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', message: 'x must be positive' });
  });

  it('a thrown primitive becomes its string', () => {
    expect(serializeError('plain failure')).toEqual({
      name: 'Error',
      message: 'plain failure',
      fields: {},
    });
  });
});
