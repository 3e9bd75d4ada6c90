import { InvalidOptionError, UnsupportedSpecVersionError } from './errors';
import type { ModelV1 } from './spec';

const METHODS = ['load', 'unload', 'metadata', 'predict'] as const;

/**
 * Checks that `value` is a model core can serve and returns it as a `ModelV1`: a `'v1'`
 * model is checked and returned as is; an object without `specificationVersion` but with
 * the v1 members is upgraded (a wrapper that reads through to it); any other
 * `specificationVersion` throws `UnsupportedSpecVersionError`
 * (`INFER_ERR_UNSUPPORTED_SPEC_VERSION`).
 *
 * @example
 * const model = asModelV1(await plugin.create(settings));
 */
export function asModelV1(value: unknown, path = 'model'): ModelV1 {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError(path, 'must be a model object (ModelV1)');
  }
  const candidate = value as Record<string, unknown>;
  const version = candidate.specificationVersion;
  if (version !== undefined && version !== 'v1') {
    throw new UnsupportedSpecVersionError({ specificationVersion: version });
  }
  if (typeof candidate.name !== 'string' || candidate.name === '') {
    throw new InvalidOptionError(`${path}.name`, 'must be a non-empty string');
  }
  if (candidate.version !== undefined && typeof candidate.version !== 'string') {
    throw new InvalidOptionError(`${path}.version`, 'must be a string');
  }
  for (const method of METHODS) {
    if (typeof candidate[method] !== 'function') {
      throw new InvalidOptionError(`${path}.${method}`, 'must be a function');
    }
  }
  if (version === 'v1') return value as ModelV1;
  // Pre-spec object: inherit everything, add the version; methods run with `this` the wrapper.
  return Object.create(value, { specificationVersion: { value: 'v1', enumerable: true } });
}
