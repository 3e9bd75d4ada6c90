/**
 * zod schemas of the Open Inference Protocol REST wire (JSON) forms, after
 * `spec/oip/open_inference_rest.yaml` and `inference_rest.md`. They check structure only;
 * `decodeInferenceRequest` additionally checks data against shape and datatype.
 */
import { z } from 'zod';
import { DATATYPES } from './types';

/**
 * One parameter value: string, number or boolean.
 *
 * @example
 * parameterValueSchema.parse(true); // true
 */
export const parameterValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/**
 * The OIP `$parameters` object: a map of string/number/boolean values.
 *
 * @example
 * parametersSchema.parse({ content_type: 'np', binary_data: true });
 */
export const parametersSchema = z.record(z.string(), parameterValueSchema);

/**
 * An OIP datatype name (the REST "Tensor Data Types" table).
 *
 * @example
 * datatypeSchema.parse('FP32');
 */
export const datatypeSchema = z.enum(DATATYPES);

/** JSON tensor data: numbers, strings or booleans, flat or nested row-major. */
export type TensorDataJSON = Array<number | string | boolean | TensorDataJSON>;

/**
 * JSON tensor data (`$tensor_data`): a possibly nested array of numbers, strings, booleans.
 *
 * @example
 * tensorDataSchema.parse([[1, 2], [3, 4]]);
 */
export const tensorDataSchema: z.ZodType<TensorDataJSON> = z.lazy(() =>
  z.array(z.union([z.number(), z.string(), z.boolean(), tensorDataSchema])),
);

const dimensionsSchema = z.array(z.number().int().nonnegative());

/**
 * Metadata of one tensor (`$metadata_tensor`); `-1` marks a variable-size dimension.
 *
 * @example
 * tensorMetadataSchema.parse({ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] });
 */
export const tensorMetadataSchema = z.object({
  name: z.string(),
  datatype: datatypeSchema,
  shape: z.array(z.number().int().min(-1)),
  parameters: parametersSchema.optional(),
});

/**
 * Server metadata (`$metadata_server_response`), the body of `GET /v2`.
 *
 * @example
 * serverMetadataSchema.parse({ name: 'infer', version: '0.1.0', extensions: [] });
 */
export const serverMetadataSchema = z.object({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});

/**
 * Model metadata (`$metadata_model_response`), the body of `GET /v2/models/{name}`.
 *
 * @example
 * modelMetadataSchema.parse({ name: 'm', platform: 'onnx', inputs: [], outputs: [] });
 */
export const modelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()).optional(),
  platform: z.string(),
  inputs: z.array(tensorMetadataSchema),
  outputs: z.array(tensorMetadataSchema),
  parameters: parametersSchema.optional(),
});

/**
 * One request input (`$request_input`). `data` is optional on the wire because with the
 * binary extension the bytes follow the JSON (`parameters.binary_data_size`).
 *
 * @example
 * requestInputSchema.parse({ name: 'x', datatype: 'FP32', shape: [2], data: [1, 2] });
 */
export const requestInputSchema = z.object({
  name: z.string().min(1),
  shape: dimensionsSchema,
  datatype: datatypeSchema,
  parameters: parametersSchema.optional(),
  data: tensorDataSchema.optional(),
});

/**
 * One requested output (`$request_output`) with per-output parameters such as `binary_data`.
 *
 * @example
 * requestOutputSchema.parse({ name: 'y', parameters: { binary_data: true } });
 */
export const requestOutputSchema = z.object({
  name: z.string().min(1),
  parameters: parametersSchema.optional(),
});

/**
 * An inference request (`$inference_request`), the body of `POST .../infer`.
 *
 * @example
 * inferenceRequestSchema.parse({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [7] }] });
 */
export const inferenceRequestSchema = z.object({
  id: z.string().optional(),
  parameters: parametersSchema.optional(),
  inputs: z.array(requestInputSchema),
  outputs: z.array(requestOutputSchema).optional(),
});

/**
 * One response output (`$response_output`); `data` is absent when it is sent as binary.
 *
 * @example
 * responseOutputSchema.parse({ name: 'y', datatype: 'FP32', shape: [1], data: [0.5] });
 */
export const responseOutputSchema = z.object({
  name: z.string().min(1),
  shape: dimensionsSchema,
  datatype: datatypeSchema,
  parameters: parametersSchema.optional(),
  data: tensorDataSchema.optional(),
});

/**
 * An inference response (`$inference_response`).
 *
 * @example
 * inferenceResponseSchema.parse({ model_name: 'm', outputs: [] });
 */
export const inferenceResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  parameters: parametersSchema.optional(),
  outputs: z.array(responseOutputSchema),
});

/**
 * An error body (`$inference_error_response` and the metadata error responses).
 *
 * @example
 * errorResponseSchema.parse({ error: 'unknown model' });
 */
export const errorResponseSchema = z.object({ error: z.string() });

/** JSON form of `$parameters`. */
export type ParametersJSON = z.infer<typeof parametersSchema>;
/** JSON form of `$metadata_tensor`. */
export type TensorMetadataJSON = z.infer<typeof tensorMetadataSchema>;
/** JSON form of `$metadata_server_response`. */
export type ServerMetadataJSON = z.infer<typeof serverMetadataSchema>;
/** JSON form of `$metadata_model_response`. */
export type ModelMetadataJSON = z.infer<typeof modelMetadataSchema>;
/** JSON form of `$request_input`. */
export type RequestInputJSON = z.infer<typeof requestInputSchema>;
/** JSON form of `$request_output`. */
export type RequestOutputJSON = z.infer<typeof requestOutputSchema>;
/** JSON form of `$inference_request`. */
export type InferenceRequestJSON = z.infer<typeof inferenceRequestSchema>;
/** JSON form of `$response_output`. */
export type ResponseOutputJSON = z.infer<typeof responseOutputSchema>;
/** JSON form of `$inference_response`. */
export type InferenceResponseJSON = z.infer<typeof inferenceResponseSchema>;
/** JSON form of the error responses. */
export type ErrorResponseJSON = z.infer<typeof errorResponseSchema>;
