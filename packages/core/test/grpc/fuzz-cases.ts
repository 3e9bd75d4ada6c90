/**
 * The cases of the gRPC fuzz test (`fuzz.test.ts`): fast-check arbitraries of
 * `ModelInferRequest`s, random and mutated from valid ones, and of raw message bytes.
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  DATATYPE_SIZES,
  DATATYPES,
  type Datatype,
  hasContentsField as hasTypedField,
  type Tensor,
  typedArrayConstructor,
} from '@infer/codecs';
import {
  GRPC_LOADER_OPTIONS,
  inferenceProtoPath,
  type ModelInferRequest,
  type ModelInferResponse__Output,
} from '@infer/core/grpc';
import fc from 'fast-check';
import { rawBytes, rawStrings } from './grpc-client';

const definition = protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS);
const rpc = (definition['inference.GRPCInferenceService'] as grpc.ServiceDefinition).ModelInfer!;

/** A `ModelInferRequest` as grpc-js sends it (proto-loader's serializer). */
export const encodeRequest = rpc.requestSerialize as (request: ModelInferRequest) => Buffer;

/** A `ModelInferResponse` from its bytes (proto-loader's deserializer). */
export const decodeResponse = rpc.responseDeserialize as (
  bytes: Buffer,
) => ModelInferResponse__Output;

// ---------------------------------------------------------------------------------------
// Building blocks

const INT64_EDGES = ['9223372036854775807', '-9223372036854775808', '9007199254740993', '-1'];
const int64Arb = fc.oneof(
  fc.constantFrom(...INT64_EDGES, '0', '1'),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
);
const uint64Arb = fc.oneof(
  fc.constantFrom('18446744073709551615', '9223372036854775808', '0'),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
);
const int32Arb = fc.oneof(
  fc.constantFrom(-(2 ** 31), -32769, -32768, -129, -128, -1, 0, 1, 127, 128, 255, 256),
  fc.constantFrom(32767, 32768, 65535, 65536, 2 ** 31 - 1),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);
const uint32Arb = fc.oneof(
  fc.constantFrom(0, 1, 255, 256, 65535, 65536, 2 ** 32 - 1),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);
const bytesArb = fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes));

/** One typed contents field with up to 8 elements of its own kind. */
const contentsArb = fc.oneof(
  fc.record({ bool_contents: fc.array(fc.boolean(), { maxLength: 8 }) }),
  fc.record({ int_contents: fc.array(int32Arb, { maxLength: 8 }) }),
  fc.record({ int64_contents: fc.array(int64Arb, { maxLength: 8 }) }),
  fc.record({ uint_contents: fc.array(uint32Arb, { maxLength: 8 }) }),
  fc.record({ uint64_contents: fc.array(uint64Arb, { maxLength: 8 }) }),
  fc.record({ fp32_contents: fc.array(fc.float(), { maxLength: 8 }) }),
  fc.record({ fp64_contents: fc.array(fc.double(), { maxLength: 8 }) }),
  fc.record({ bytes_contents: fc.array(bytesArb, { maxLength: 8 }) }),
);

const DATATYPE_NAMES = [...DATATYPES, 'BF16', 'FP8', 'INT4', 'STRING', '', 'fp32', 'FP32 ', 'F'];
const datatypeArb = fc.oneof(fc.constantFrom(...DATATYPE_NAMES), fc.string({ maxLength: 6 }));

/** Dims as int64: negative, zero, beyond 2^31, 2^53 and the int64 range ends. */
const dimArb = fc.oneof(
  fc.integer({ min: -3, max: 8 }),
  fc.constantFrom(224, 2 ** 31, 2 ** 32 + 1, ...INT64_EDGES),
);
const shapeArb = fc.array(dimArb, { maxLength: 5 });

const MODELS = [
  ...DATATYPES.map((datatype) => `identity_${datatype.toLowerCase()}`),
  'doubler',
  'echo',
  'mobilenet',
  'broken',
];
const modelArb = fc.oneof(
  { arbitrary: fc.constantFrom(...MODELS), weight: 6 },
  {
    arbitrary: fc.constantFrom('', 'nope', 'IDENTITY_FP32', 'echo/../doubler', '\u0000'),
    weight: 1,
  },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
);
const versionArb = fc.oneof(
  { arbitrary: fc.constant(''), weight: 5 },
  { arbitrary: fc.constantFrom('1', '2', '0', '-1', 'latest', '01', ' 1'), weight: 2 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
);

const PARAMETER_NAMES = [
  'binary_data_output',
  'binary_data',
  'content_type',
  'constructor',
  'toString',
  'hasOwnProperty',
  'sequence_id',
  'priority',
  'timeout',
];
const parameterArb = fc.oneof(
  fc.record({ bool_param: fc.boolean() }),
  fc.record({ int64_param: int64Arb }),
  fc.record({ uint64_param: uint64Arb }),
  fc.record({ double_param: fc.double() }),
  fc.record({
    string_param: fc.oneof(
      fc.constantFrom('img', 'np', 'str', 'base64', 'json', 'pd', '??', ''),
      fc.string({ maxLength: 10 }),
    ),
  }),
  fc.constant({}), // no value set
  fc.record({ bool_param: fc.boolean(), string_param: fc.string({ maxLength: 4 }) }), // two set
);
const parametersArb = fc.dictionary(
  fc.oneof(fc.constantFrom(...PARAMETER_NAMES), fc.string({ maxLength: 8 })),
  parameterArb,
  { maxKeys: 3 },
);

const INPUT_NAMES = ['x', 'y', 'f', 'i', 's', 'input', 'output', ''];
const outputsArb = fc.array(
  fc.record(
    {
      name: fc.oneof(fc.constantFrom(...INPUT_NAMES, 'z', 'nope'), fc.string({ maxLength: 6 })),
      parameters: parametersArb,
    },
    { requiredKeys: ['name'] },
  ),
  { maxLength: 3 },
);

/**
 * A wire-level case: a message sent through the proto serializer (`expected`: the outputs a
 * valid one must get), or bytes sent as they are.
 */
export type Case =
  | { label: string; request: ModelInferRequest; expected?: Tensor[] }
  | { label: string; bytes: Buffer };

// ---------------------------------------------------------------------------------------
// The cases

/** Everything random, field by field. */
const randomCase = fc
  .record(
    {
      model_name: modelArb,
      model_version: versionArb,
      id: fc.string({ maxLength: 8 }),
      parameters: parametersArb,
      inputs: fc.array(
        fc.record(
          {
            name: fc.oneof(fc.constantFrom(...INPUT_NAMES), fc.string({ maxLength: 6 })),
            datatype: datatypeArb,
            shape: shapeArb,
            parameters: parametersArb,
            contents: contentsArb,
          },
          { requiredKeys: ['name', 'datatype', 'shape'] },
        ),
        { maxLength: 3 },
      ),
      outputs: outputsArb,
      raw_input_contents: fc.array(fc.uint8Array({ maxLength: 40 }).map(Buffer.from), {
        maxLength: 4,
      }),
    },
    { requiredKeys: ['model_name', 'inputs'] },
  )
  .map((request): Case => ({ label: 'random', request }));

/** A valid request for `identity_<datatype>` (n elements from random bytes), as sent. */
interface Valid {
  request: ModelInferRequest;
  expected: Tensor[];
  datatype: Datatype;
  raw: boolean;
}

const validArb = fc
  .record({
    datatype: fc.constantFrom(...DATATYPES),
    count: fc.integer({ min: 0, max: 6 }),
    raw: fc.boolean(),
    bytes: fc.uint8Array({ minLength: 48, maxLength: 48 }),
    strings: fc.array(fc.uint8Array({ maxLength: 10 }), { minLength: 6, maxLength: 6 }),
  })
  .map(({ datatype, count, raw: wantsRaw, bytes, strings }): Valid => {
    const raw = wantsRaw || !hasTypedField(datatype); // FP16 (and BF16) travel raw only
    const shape = [count];
    let data: Tensor['data'];
    let contents: Record<string, unknown>;
    let rawInput: Buffer;
    if (datatype === 'BYTES') {
      const elements = strings.slice(0, count).map((element) => Buffer.from(element));
      data = elements;
      contents = { bytes_contents: elements };
      rawInput = rawStrings(elements);
    } else {
      const size = DATATYPE_SIZES[datatype];
      const copy = new Uint8Array(bytes.slice(0, count * size));
      if (datatype === 'BOOL') for (let k = 0; k < copy.length; k++) copy[k]! &= 1;
      const typed = new (typedArrayConstructor(datatype))(copy.buffer);
      data = typed as Tensor['data'];
      rawInput = Buffer.from(copy);
      contents = typedContents(datatype, typed);
    }
    const input = { name: 'x', datatype, shape, ...(raw ? {} : { contents }) };
    return {
      request: {
        model_name: `identity_${datatype.toLowerCase()}`,
        inputs: [input],
        ...(raw ? { raw_input_contents: [rawInput] } : {}),
      },
      expected: [{ name: 'y', datatype, shape, data } as Tensor],
      datatype,
      raw,
    };
  });

function typedContents(datatype: Datatype, typed: ArrayLike<number | bigint>) {
  const values = Array.from(typed);
  switch (datatype) {
    case 'BOOL':
      return { bool_contents: values.map((value) => value === 1) };
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return { uint_contents: values };
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return { int_contents: values };
    case 'INT64':
      return { int64_contents: values.map(String) };
    case 'UINT64':
      return { uint64_contents: values.map(String) };
    case 'FP64':
      return { fp64_contents: values };
    default:
      return { fp32_contents: values };
  }
}

/** One change that (most likely) breaks a valid request. */
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('datatype' as const), datatype: datatypeArb }),
  fc.record({ kind: fc.constant('shape' as const), shape: shapeArb }),
  fc.record({ kind: fc.constant('contents' as const), contents: contentsArb }),
  fc.record({ kind: fc.constant('extra-contents' as const), contents: contentsArb }),
  fc.record({
    kind: fc.constant('contents-length' as const),
    delta: fc.integer({ min: -3, max: 3 }),
  }),
  fc.record({ kind: fc.constant('range' as const), value: int32Arb, at: fc.nat() }),
  fc.record({ kind: fc.constant('raw-length' as const), delta: fc.integer({ min: -9, max: 9 }) }),
  fc.record({ kind: fc.constant('raw-count' as const), extra: fc.integer({ min: -1, max: 2 }) }),
  fc.record({
    kind: fc.constant('bytes-prefix' as const),
    prefix: fc.constantFrom(0xffffffff, 0x80000000, 0x7fffffff, 1, 0),
    delta: fc.constantFrom(-1, 1, 4),
  }),
  fc.record({ kind: fc.constant('bool-raw' as const), value: fc.integer({ min: 2, max: 255 }) }),
  fc.record({ kind: fc.constant('name' as const), name: fc.constantFrom(...INPUT_NAMES) }),
  fc.record({ kind: fc.constant('duplicate-input' as const) }),
  fc.record({ kind: fc.constant('drop-input' as const) }),
  fc.record({ kind: fc.constant('model' as const), model: modelArb, version: versionArb }),
  fc.record({ kind: fc.constant('outputs' as const), outputs: outputsArb }),
  fc.record({
    kind: fc.constant('parameters' as const),
    where: fc.constantFrom('request', 'input'),
    parameters: parametersArb,
  }),
  fc.record({ kind: fc.constant('binary' as const), binary: fc.boolean(), output: fc.boolean() }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;
type Input = NonNullable<ModelInferRequest['inputs']>[number];

function mutate(valid: Valid, mutation: Mutation): void {
  const request = valid.request;
  const raw = request.raw_input_contents as Buffer[] | undefined;
  const first = request.inputs?.[0];
  // After 'drop-input' a second mutation works on a stand-in input that is not sent.
  const input = (first ?? {}) as Input & { contents?: Record<string, unknown[]> };
  switch (mutation.kind) {
    case 'datatype':
      input.datatype = mutation.datatype;
      return;
    case 'shape':
      input.shape = mutation.shape;
      return;
    case 'contents':
      input.contents = mutation.contents;
      return;
    case 'extra-contents':
      input.contents = { ...input.contents, ...mutation.contents };
      return;
    case 'contents-length': {
      const values = Object.values(input.contents ?? {})[0];
      if (!values) return;
      if (mutation.delta < 0) values.splice(0, -mutation.delta);
      else for (let k = 0; k < mutation.delta; k++) values.push(values[0] ?? 0);
      return;
    }
    case 'range': {
      const values = input.contents?.uint_contents ?? input.contents?.int_contents;
      if (values && values.length > 0) values[mutation.at % values.length] = mutation.value;
      return;
    }
    case 'raw-length':
      if (!raw?.[0]) return;
      raw[0] =
        mutation.delta < 0
          ? raw[0].subarray(0, Math.max(0, raw[0].length + mutation.delta))
          : Buffer.concat([raw[0], Buffer.alloc(mutation.delta, 7)]);
      return;
    case 'raw-count':
      if (mutation.extra < 0) request.raw_input_contents = [];
      else if (raw) for (let k = 0; k < mutation.extra; k++) raw.push(Buffer.alloc(4 * k));
      else request.raw_input_contents = [rawStrings([Buffer.from('a')])];
      return;
    case 'bytes-prefix': {
      if (valid.datatype !== 'BYTES' || !raw?.[0]) return;
      const bytes = Buffer.from(raw[0].length >= 4 ? raw[0] : Buffer.alloc(4));
      const length = bytes.readUInt32LE(0);
      const prefix = mutation.prefix <= 1 ? length + mutation.delta : mutation.prefix;
      bytes.writeUInt32LE(Math.max(0, Math.min(prefix, 0xffffffff)), 0);
      raw[0] = bytes;
      return;
    }
    case 'bool-raw':
      if (valid.datatype === 'BOOL' && raw?.[0] && raw[0].length > 0) {
        raw[0] = Buffer.from(raw[0]);
        raw[0][raw[0].length - 1] = mutation.value;
      }
      return;
    case 'name':
      input.name = mutation.name;
      return;
    case 'duplicate-input':
      request.inputs!.push(structuredClone(input));
      return;
    case 'drop-input':
      request.inputs = [];
      return;
    case 'model':
      request.model_name = mutation.model;
      request.model_version = mutation.version;
      return;
    case 'outputs':
      request.outputs = mutation.outputs;
      return;
    case 'parameters':
      if (mutation.where === 'input') input.parameters = mutation.parameters;
      else request.parameters = mutation.parameters;
      return;
    case 'binary':
      // Valid: only changes how the answer travels.
      if (mutation.output)
        request.outputs = [
          { name: 'y', parameters: { binary_data: { bool_param: mutation.binary } } },
        ];
      else request.parameters = { binary_data_output: { bool_param: mutation.binary } };
  }
}

/** A valid identity request changed 0 to 2 times; unchanged ones must echo their input. */
const nearValidCase = fc
  .record({ valid: validArb, mutations: fc.array(mutationArb, { maxLength: 2 }) })
  .map(({ valid, mutations }): Case => {
    for (const mutation of mutations) mutate(valid, mutation);
    const intact = mutations.every((mutation) => mutation.kind === 'binary');
    return {
      label: intact ? 'valid' : `near-valid:${mutations.map((m) => m.kind).join('+')}`,
      request: valid.request,
      ...(intact ? { expected: valid.expected } : {}),
    };
  });

/**
 * Valid requests for the batching models (`doubler`, `echo`): 0 to 3 rows, a random subset
 * of the outputs, typed or raw, random request parameters. Sent 25 at a time, they are
 * batched together; each answer must hold exactly its own rows and outputs.
 */
const batchedCase = fc
  .record({
    model: fc.constantFrom('doubler', 'echo'),
    rows: fc.integer({ min: 0, max: 3 }),
    floats: fc.array(fc.float(), { minLength: 9, maxLength: 9 }),
    longs: fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), {
      minLength: 9,
      maxLength: 9,
    }),
    strings: fc.array(bytesArb, { minLength: 3, maxLength: 3 }),
    outputs: fc.subarray([0, 1, 2]),
    raw: fc.boolean(),
    rotate: fc.nat(2),
    parameters: fc.option(
      fc.dictionary(
        fc.constantFrom('a', 'b', 'priority'),
        parameterArb.filter((p) => Object.keys(p).length === 1),
        { maxKeys: 2 },
      ),
    ),
  })
  .map(({ model, rows, floats, longs, strings, outputs, raw, rotate, parameters }): Case => {
    const f = Float32Array.from(floats.slice(0, model === 'doubler' ? 2 * rows : 3 * rows));
    const tensors: Tensor[] =
      model === 'doubler'
        ? [{ name: 'x', datatype: 'FP32', shape: [rows, 2], data: f }]
        : [
            { name: 'f', datatype: 'FP32', shape: [rows, 3], data: f },
            {
              name: 'i',
              datatype: 'INT64',
              shape: [rows, 3],
              data: BigInt64Array.from(longs.slice(0, 3 * rows)),
            },
            { name: 's', datatype: 'BYTES', shape: [rows], data: strings.slice(0, rows) },
          ];
    const results: Tensor[] =
      model === 'doubler'
        ? [
            { name: 'y', datatype: 'FP32', shape: [rows, 2], data: f.map((v) => v * 2) },
            { name: 'z', datatype: 'FP32', shape: [rows, 2], data: f.map((v) => v + 1) },
          ]
        : tensors;
    const wanted = outputs.filter((k) => k < results.length).map((k) => results[k]!);
    const expected = wanted.length > 0 ? wanted : results;
    // Inputs in any order: the batcher must match them by name.
    const sent = [
      ...tensors.slice(rotate % tensors.length),
      ...tensors.slice(0, rotate % tensors.length),
    ];
    const request: ModelInferRequest = {
      model_name: model,
      inputs: sent.map(({ name, datatype, shape, data }) => ({
        name,
        datatype,
        shape,
        ...(raw
          ? {}
          : {
              contents:
                model === 'doubler' || name === 'f'
                  ? { fp32_contents: Array.from(data as Float32Array) }
                  : name === 'i'
                    ? { int64_contents: Array.from(data as BigInt64Array, String) }
                    : { bytes_contents: data as Buffer[] },
            }),
      })),
      ...(raw
        ? {
            raw_input_contents: sent.map((t) =>
              t.datatype === 'BYTES'
                ? rawStrings(t.data as Uint8Array[])
                : rawBytes(t.data as Float32Array),
            ),
          }
        : {}),
      ...(wanted.length > 0 ? { outputs: wanted.map(({ name }) => ({ name })) } : {}),
      ...(parameters === null ? {} : { parameters }),
    };
    return { label: `batched:${model}`, request, expected };
  });

/** MobileNet with (mostly) well-sized raw data for shapes and datatypes it does not take. */
const MOBILENET_SHAPES = [
  [1, 3, 224, 224],
  [0, 3, 224, 224],
  [2, 3, 224, 224],
  [1, 3, 224, 223],
  [1, 3, 224],
  [1, 224, 224, 3],
  [1, 3, 32, 32],
  [3, 224, 224],
  [1, 1, 1, 150528],
];
const mobilenetCase = fc
  .record({
    shape: fc.constantFrom(...MOBILENET_SHAPES),
    datatype: fc.constantFrom('FP32', 'FP32', 'FP16', 'FP64', 'INT64', 'UINT8'),
    name: fc.constantFrom('input', 'input', 'output', 'x'),
    delta: fc.constantFrom(0, 0, 0, -4, 4, -1),
  })
  .map(({ shape, datatype, name, delta }): Case => {
    const count = shape.reduce((a, b) => a * b, 1);
    const size = DATATYPE_SIZES[datatype as Exclude<Datatype, 'BYTES'>];
    const length = Math.max(0, count * size + delta);
    const data = Buffer.alloc(length, 0x3c); // FP32 0.0115 each
    return {
      label: 'mobilenet',
      request: {
        model_name: 'mobilenet',
        inputs: [{ name, datatype, shape }],
        raw_input_contents: [data],
      },
    };
  });

/** Bytes: random, or a valid message mutated at the byte level, sent as they are. */
const bytesCase = fc.oneof(
  fc
    .uint8Array({ maxLength: 200 })
    .map((bytes): Case => ({ label: 'bytes:random', bytes: Buffer.from(bytes) })),
  fc
    .record({
      valid: validArb,
      edits: fc.array(
        fc.record({
          kind: fc.constantFrom('flip', 'set', 'cut', 'insert', 'repeat'),
          at: fc.nat(),
          value: fc.integer({ min: 0, max: 255 }),
          extra: fc.uint8Array({ minLength: 1, maxLength: 8 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ valid, edits }): Case => {
      let bytes = Buffer.from(encodeRequest(valid.request));
      for (const edit of edits) {
        const at = bytes.length === 0 ? 0 : edit.at % bytes.length;
        if (edit.kind === 'flip' && bytes.length > 0) bytes[at]! ^= 1 << (edit.value % 8);
        else if (edit.kind === 'set' && bytes.length > 0) bytes[at] = edit.value;
        else if (edit.kind === 'cut') bytes = bytes.subarray(0, at);
        else if (edit.kind === 'insert')
          bytes = Buffer.concat([bytes.subarray(0, at), edit.extra, bytes.subarray(at)]);
        else if (edit.kind === 'repeat') bytes = Buffer.concat([bytes, bytes.subarray(at)]);
      }
      return { label: 'bytes:mutated', bytes };
    }),
  // What a client cannot send through the serializer: map keys named like Object.prototype
  // members, invalid UTF-8 in strings. Encoded with same-length placeholders, then patched.
  fc
    .record({
      key: fc.constantFrom('__proto__', 'prototype', 'constructor'),
      value: parameterArb,
      where: fc.constantFrom('request', 'input', 'output'),
      badUtf8: fc.constantFrom('none', 'none', 'model', 'datatype'),
    })
    .map(({ key, value, where, badUtf8 }): Case => {
      const placeholder = '^'.repeat(key.length);
      const parameters = { [placeholder]: value };
      const request: ModelInferRequest = {
        model_name: 'identity_fp~~',
        inputs: [
          {
            name: 'x',
            datatype: '%%%%',
            shape: [1],
            contents: { fp32_contents: [1] },
            ...(where === 'input' ? { parameters } : {}),
          },
        ],
        ...(where === 'request' ? { parameters } : {}),
        ...(where === 'output' ? { outputs: [{ name: 'y', parameters }] } : {}),
      };
      const bytes = Buffer.from(encodeRequest(request));
      patch(bytes, placeholder, Buffer.from(key));
      const invalid = Buffer.from([0xff, 0xfe]);
      patch(
        bytes,
        'identity_fp~~',
        Buffer.concat([
          Buffer.from('identity_fp'),
          badUtf8 === 'model' ? invalid : Buffer.from('32'),
        ]),
      );
      patch(
        bytes,
        '%%%%',
        Buffer.concat([Buffer.from('FP'), badUtf8 === 'datatype' ? invalid : Buffer.from('32')]),
      );
      return { label: `keys:${key}${badUtf8 === 'none' ? '' : ` bad-utf8-${badUtf8}`}`, bytes };
    }),
);

/** Overwrites the first `placeholder` in `bytes` with `to` (same length: still a message). */
function patch(bytes: Buffer, placeholder: string, to: Buffer): void {
  const at = bytes.indexOf(placeholder);
  if (at < 0 || to.length !== placeholder.length) throw new Error(`cannot patch ${placeholder}`);
  to.copy(bytes, at);
}

export const caseArb = fc.oneof(
  { arbitrary: randomCase, weight: 27 },
  { arbitrary: nearValidCase, weight: 38 },
  { arbitrary: batchedCase, weight: 10 },
  { arbitrary: mobilenetCase, weight: 3 },
  { arbitrary: bytesCase, weight: 22 },
);

/** Hand-picked cases, run as the first batch. */
export const EXAMPLES: Case[] = [
  {
    label: 'example:bf16',
    request: {
      model_name: 'identity_fp16',
      inputs: [{ name: 'x', datatype: 'BF16', shape: [2] }],
      raw_input_contents: [Buffer.alloc(4)],
    },
  },
  {
    label: 'example:int64-max-shape',
    request: {
      model_name: 'identity_fp32',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['9223372036854775807'] }],
      raw_input_contents: [Buffer.alloc(4)],
    },
  },
  {
    label: 'example:bytes-prefix-ffffffff',
    request: {
      model_name: 'identity_bytes',
      inputs: [{ name: 'x', datatype: 'BYTES', shape: [1] }],
      raw_input_contents: [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x61])],
    },
  },
  {
    label: 'example:zero-rows-onnx',
    request: {
      model_name: 'mobilenet',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [0, 3, 224, 224] }],
      raw_input_contents: [Buffer.alloc(0)],
    },
  },
  {
    label: 'example:echo-rows-disagree',
    request: {
      model_name: 'echo',
      inputs: [
        { name: 'f', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } },
        {
          name: 'i',
          datatype: 'INT64',
          shape: [2, 3],
          contents: { int64_contents: [1, 2, 3, 4, 5, 6] },
        },
        {
          name: 's',
          datatype: 'BYTES',
          shape: [3],
          contents: { bytes_contents: [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')] },
        },
      ],
    },
  },
  {
    label: 'example:parameter-without-value',
    request: {
      model_name: 'doubler',
      parameters: { p: {} },
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
    },
  },
];
