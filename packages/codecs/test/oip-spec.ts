/**
 * Loads the OIP REST OpenAPI document (spec/oip/open_inference_rest.yaml) into ajv, so the
 * tests validate against the real spec rather than a hand-copied schema.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const specPath = fileURLToPath(
  new URL('../../../spec/oip/open_inference_rest.yaml', import.meta.url),
);
const SPEC_ID = 'https://infer.local/oip/open_inference_rest.yaml';

/** The parsed OpenAPI document. */
export const spec = parse(readFileSync(specPath, 'utf8')) as {
  components: { schemas: Record<string, Record<string, unknown>> };
};

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
// OpenAPI 3.0 keywords that are not JSON Schema (and the `components` container): declare them
// so strict mode accepts them.
ajv.addVocabulary(['x-examples', 'example', 'components']);
// The whole document under one $id: the spec's own `$ref: '#/components/schemas/x'`
// pointers then resolve against it unchanged.
ajv.addSchema({ $id: SPEC_ID, components: spec.components });

/** The validator of `#/components/schemas/<name>`. */
export function specValidator(name: string): ValidateFunction {
  const validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name} in the OIP spec`);
  return validate;
}

/** The spec's `x-examples` of a schema. */
export function specExamples(name: string): Record<string, unknown> {
  const examples = spec.components.schemas[name]?.['x-examples'];
  return (examples ?? {}) as Record<string, unknown>;
}
