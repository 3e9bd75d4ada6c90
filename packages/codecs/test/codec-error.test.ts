import { CodecError, parseJsonObject, VERSION } from '@infer/codecs';
import { describe, expect, it } from 'vitest';

describe('CodecError', () => {
  it('carries code, input, index and cause', () => {
    const cause = new SyntaxError('x');
    const error = new CodecError('bad', { input: 'x', index: 3, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CodecError');
    expect(error.code).toBe('INFER_ERR_CODEC');
    expect(error.input).toBe('x');
    expect(error.index).toBe(3);
    expect(error.cause).toBe(cause);
    expect('input' in new CodecError('bad')).toBe(false);
  });

  it('isInstance works across package copies through the shared marker', () => {
    const copy = Object.assign(new Error('from another copy'), {
      code: 'INFER_ERR_CODEC',
      [Symbol.for('infer.error')]: true,
    });
    expect(CodecError.isInstance(copy)).toBe(true);
    expect(CodecError.isInstance(new Error('plain'))).toBe(false);
    expect(CodecError.isInstance({ code: 'INFER_ERR_CODEC' })).toBe(false);
    expect(
      CodecError.isInstance(
        Object.assign(new Error(), {
          code: 'INFER_ERR_TIMEOUT',
          [Symbol.for('infer.error')]: true,
        }),
      ),
    ).toBe(false);
    expect(CodecError.isInstance(null)).toBe(false);
  });

  it('exports VERSION from package.json', async () => {
    const { default: pkg } = await import('../package.json', { with: { type: 'json' } });
    expect(VERSION).toBe(pkg.version);
  });
});

describe('parseJsonObject', () => {
  it('parses a JSON object from bytes or text', () => {
    expect(parseJsonObject(new TextEncoder().encode('{"name":"m"}'), 'metadata')).toEqual({
      name: 'm',
    });
    expect(parseJsonObject(' {} ', 'metadata')).toEqual({});
  });

  it.each([
    [new Uint8Array([0x7b, 0xff, 0x7d]), /^metadata is not valid UTF-8/],
    ['', 'metadata is empty; expected a JSON object'],
    ['{"a":', /^metadata is not valid JSON: /],
    ['[1]', 'metadata must be a JSON object, got an array'],
    ['null', 'metadata must be a JSON object, got null'],
  ])('refuses %s with a CodecError naming the body', (body, message) => {
    expect(() => parseJsonObject(body, 'metadata')).toThrow(CodecError);
    expect(() => parseJsonObject(body, 'metadata')).toThrow(message);
  });
});
