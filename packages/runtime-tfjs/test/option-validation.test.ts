import { InvalidOptionError } from '@infer/core';
import { describe, expect, it } from 'vitest';
import tfjsRuntime, { TfjsModel, type TfjsModelOptions } from '../src/index';

const base = { name: 'm', path: '/models/m' };
const build = (options: Partial<TfjsModelOptions> & Record<string, unknown>) => () =>
  new TfjsModel({ ...base, ...options } as TfjsModelOptions);

describe('options are validated at construction, before any side effect', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['path', { path: '' }, /^options.path must be a non-empty string/],
    ['format', { format: 'saved' }, /^options.format must be 'graph' or 'layers'/],
    ['backend', { backend: 'webgl' }, /^options.backend must be one of tensorflow, wasm, cpu/],
    // A typo is refused, not silently ignored (the backend would have been the default).
    ['unknown option', { backnd: 'wasm' }, /^options.backnd is not a known option/],
    ['strictBackend', { strictBackend: 'yes' }, /^options.strictBackend must be a boolean/],
    ['wasmPath', { wasmPath: '' }, /^options.wasmPath must be a non-empty string/],
    ['signature', { signature: 1 }, /^options.signature must be an object/],
    [
      'signature.inputs',
      { signature: { inputs: {} } },
      /^options.signature.inputs must be an array/,
    ],
    [
      'signature name',
      { signature: { inputs: [{ datatype: 'FP32', shape: [] }] } },
      /^options.signature.inputs\[0\].name must be/,
    ],
    [
      'signature datatype',
      { signature: { outputs: [{ name: 'y', datatype: 'INT64', shape: [] }] } },
      /^options.signature.outputs\[0\].datatype must be one of FP32, INT32, BOOL, BYTES/,
    ],
    [
      'signature shape',
      { signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-2] }] } },
      /^options.signature.inputs\[0\].shape must be an array of integers >= -1/,
    ],
    [
      'inputNames',
      { inputNames: ['a', 'a'] },
      /^options.inputNames must be an array of distinct non-empty strings/,
    ],
    [
      'outputNames',
      { outputNames: [''] },
      /^options.outputNames must be an array of distinct non-empty strings/,
    ],
    ['warmup', { warmup: 'yes' }, /^options.warmup must be a boolean or an inference request/],
    ['logger', { logger: {} }, /^options.logger must have debug, info, warn and error methods/],
    ['name', { name: 'a/b' }, /^options.name must be/],
  ];
  for (const [what, options, message] of cases) {
    it(`rejects a bad ${what}`, () => {
      expect(build(options)).toThrow(InvalidOptionError);
      expect(build(options)).toThrow(message);
    });
  }

  it('rejects unknown runtime parameters in model settings', () => {
    expect(() => tfjsRuntime.create({ name: 'm', uri: '/m', parameters: { threads: 2 } })).toThrow(
      /^settings.parameters.threads is not a TF.js runtime option/,
    );
  });
});
