import Ajv, { type ValidateFunction } from 'ajv';
import { OIP_REST_SCHEMAS, type OipSchemaName } from './oip-rest-schemas';

const ROOT = 'oip-rest';

/**
 * Validates JSON bodies against the component schemas of the OIP REST spec with ajv.
 * `binary: true` validates the JSON header of a binary-extension response, where outputs
 * carry `parameters.binary_data_size` instead of `data` (the extension allows it).
 *
 * @example
 * const oip = createOipValidator();
 * oip.assert('inference_response', JSON.parse(text));
 */
export interface OipValidator {
  /** The ajv errors as one line, or `undefined` when `value` is valid. */
  check(schema: OipSchemaName, value: unknown, options?: { binary?: boolean }): string | undefined;
  /** Throws an `Error` naming the schema and every ajv error when `value` is invalid. */
  assert(schema: OipSchemaName, value: unknown, options?: { binary?: boolean }): void;
}

/**
 * Creates an {@link OipValidator} (ajv, strict mode off for the spec's OpenAPI keywords).
 *
 * @example
 * createOipValidator().check('metadata_server_response', { name: 'x', version: '1', extensions: [] }); // undefined
 */
export function createOipValidator(): OipValidator {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const schemas = structuredClone(OIP_REST_SCHEMAS) as unknown as Record<
    string,
    Record<string, unknown>
  >;
  ajv.addSchema({ $id: ROOT, components: { schemas } });
  const binarySchemas = structuredClone(schemas);
  const output = binarySchemas.response_output as { required: string[] };
  output.required = output.required.filter((key) => key !== 'data');
  ajv.addSchema({ $id: `${ROOT}-binary`, components: { schemas: binarySchemas } });
  const cache = new Map<string, ValidateFunction>();
  const validatorOf = (schema: OipSchemaName, binary: boolean): ValidateFunction => {
    const ref = `${binary ? `${ROOT}-binary` : ROOT}#/components/schemas/${schema}`;
    let validate = cache.get(ref);
    if (validate === undefined) {
      validate = ajv.getSchema(ref);
      if (validate === undefined) throw new Error(`unknown OIP schema ${schema}`);
      cache.set(ref, validate);
    }
    return validate;
  };
  const check: OipValidator['check'] = (schema, value, options = {}) => {
    const validate = validatorOf(schema, options.binary === true);
    if (validate(value)) return undefined;
    return ajv.errorsText(validate.errors, { dataVar: schema });
  };
  return {
    check,
    assert(schema, value, options) {
      const problem = check(schema, value, options);
      if (problem !== undefined) {
        throw new Error(
          `response does not match OIP schema ${schema}: ${problem}\n${JSON.stringify(value)}`,
        );
      }
    },
  };
}
