/**
 * Validates JSON bodies against the component schemas of the OIP REST spec, read from the
 * repo's copy `spec/oip/open_inference_rest.yaml` (the source of truth) with ajv. Shared
 * by the core and adapter tests.
 *
 * @example
 * const oip = loadOipSchemas();
 * oip.assert('inference_response', response.json());
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/** The spec file, resolved from this helper. */
export const OIP_REST_YAML = fileURLToPath(
  new URL('../../../../spec/oip/open_inference_rest.yaml', import.meta.url),
);

/** Component names of the spec, e.g. `inference_response`. */
export type OipComponent =
  | 'metadata_server_response'
  | 'metadata_server_error_response'
  | 'metadata_model_response'
  | 'metadata_model_error_response'
  | 'metadata_tensor'
  | 'inference_request'
  | 'inference_response'
  | 'inference_error_response'
  | 'request_input'
  | 'request_output'
  | 'response_output'
  | 'parameters'
  | 'tensor_data';

export interface OipSchemas {
  /** The parsed spec document. */
  readonly document: Record<string, unknown>;
  /** ajv's errors as text, or `undefined` when valid. */
  check(component: OipComponent, value: unknown): string | undefined;
  /** Throws naming the component and ajv's errors when invalid. */
  assert(component: OipComponent, value: unknown): void;
}

let cached: OipSchemas | undefined;

/** Loads (once) the spec and compiles validators for its components. */
export function loadOipSchemas(): OipSchemas {
  if (cached) return cached;
  const document = parse(readFileSync(OIP_REST_YAML, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'oip', components: (document as { components: unknown }).components });
  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (component: string) => {
    let validate = validators.get(component);
    if (!validate) {
      validate = ajv.getSchema(`oip#/components/schemas/${component}`);
      if (!validate) throw new Error(`no component ${component} in ${OIP_REST_YAML}`);
      validators.set(component, validate);
    }
    return validate;
  };
  const check = (component: OipComponent, value: unknown) => {
    const validate = validatorOf(component);
    return validate(value) ? undefined : ajv.errorsText(validate.errors);
  };
  cached = {
    document,
    check,
    assert(component, value) {
      const problem = check(component, value);
      if (problem !== undefined) {
        throw new Error(`not a valid OIP ${component}: ${problem}\n${JSON.stringify(value)}`);
      }
    },
  };
  return cached;
}
