import { describe, expect, it } from 'vitest';
import { ModelNotFoundError } from '../../src/errors';
import { toGrpcStatus } from '../../src/grpc/grpc-status';
import { percentEncode, statusMessageHeader } from '../../src/grpc/h2c/grpc-call';
import { encodeHeaders, HpackDecoder } from '../../src/grpc/h2c/hpack';
import { limitStatusMessage, MAX_STATUS_MESSAGE_BYTES } from '../../src/grpc/status-message';

/** The percent-encoding as the protocol defines it, byte by byte (the reference). */
function referenceEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

describe('limitStatusMessage', () => {
  it('leaves a message under the limit as it is', () => {
    expect(limitStatusMessage('Model "m" not found')).toBe('Model "m" not found');
    const fits = 'a'.repeat(MAX_STATUS_MESSAGE_BYTES);
    expect(limitStatusMessage(fits)).toBe(fits);
    expect(limitStatusMessage('')).toBe('');
  });

  it('cuts a longer one on a character boundary, with "...", under the limit on both transports', () => {
    const samples = [
      'a'.repeat(MAX_STATUS_MESSAGE_BYTES + 1),
      'x'.repeat(16_000_000),
      ' '.repeat(5000),
      '%'.repeat(5000),
      'é'.repeat(5000),
      '模型'.repeat(5000),
      '🙂'.repeat(5000),
      `a${'🙂'.repeat(5000)}`,
      `Model "${'\u0001x🙂é%"'.repeat(10_000)}" not found`,
    ];
    for (const text of samples) {
      const cut = limitStatusMessage(text);
      expect(cut.endsWith('...')).toBe(true);
      const kept = cut.slice(0, -3);
      expect(text.startsWith(kept)).toBe(true);
      // No lone surrogate: encodeURI (grpc-js) throws on one.
      expect(() => encodeURI(cut)).not.toThrow();
      expect(encodeURI(cut).length).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
      expect(percentEncode(cut).length).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
      // Not cut much shorter than needed: within 12 encoded bytes of the limit.
      expect(encodeURI(cut).length).toBeGreaterThan(MAX_STATUS_MESSAGE_BYTES / 3 - 12);
      // Cutting again changes nothing.
      expect(limitStatusMessage(cut)).toBe(cut);
    }
    expect(limitStatusMessage('a'.repeat(3000), 10)).toBe('aaaaaaa...');
  });

  it('replaces lone surrogates with U+FFFD', () => {
    expect(limitStatusMessage('a\uD800b\uDC00c🙂')).toBe('a\uFFFDb\uFFFDc🙂');
    const long = limitStatusMessage(`\uDC00${'b'.repeat(5000)}`);
    expect(long.startsWith('\uFFFDbbb')).toBe(true);
  });

  it('is what toGrpcStatus gives as details', () => {
    const status = toGrpcStatus(new ModelNotFoundError({ model: 'm'.repeat(100_000) }));
    expect(status.code).toBe(5);
    expect(status.details.startsWith('Model "mmm')).toBe(true);
    expect(status.details.endsWith('...')).toBe(true);
    expect(status.details.length).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
  });
});

describe('grpc-message on the h2c server', () => {
  it('percentEncode gives the protocol encoding', () => {
    const samples = [
      '',
      'plain text',
      '100% sure',
      'modèle 模型 🙂',
      '\u0000\u001f\u007f\u0080\u00ff',
      'a\uD800b',
      'x'.repeat(10_000) + 'é',
    ];
    for (const text of samples) expect(percentEncode(text)).toBe(referenceEncode(text));
    expect(percentEncode('100% sure')).toBe('100%25 sure');
  });

  it('statusMessageHeader cuts, then encodes', () => {
    expect(statusMessageHeader('é')).toBe('%C3%A9');
    const header = statusMessageHeader(`Model "${'é'.repeat(8_000_000)}" not found`);
    expect(header.length).toBeLessThanOrEqual(MAX_STATUS_MESSAGE_BYTES);
    expect(header.startsWith('Model "%C3%A9')).toBe(true);
    expect(header.endsWith('...')).toBe(true);
  });

  it('encodeHeaders writes long values that HPACK decodes back', () => {
    for (const length of [0, 126, 127, 128, 16_510, 70_000]) {
      const pairs: Array<[string, string]> = [
        [':status', '200'],
        ['grpc-message', 'v%C3'.repeat(length).slice(0, length)],
        ['x-empty', ''],
      ];
      const block = encodeHeaders(pairs);
      expect(new HpackDecoder(4096, 1 << 20).decode(block)).toEqual(pairs);
    }
  });
});
