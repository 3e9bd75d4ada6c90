/**
 * Bad input, fuzzed (fast-check, fixed seed) over the real HTTP API of `serve()` with the
 * FP32/INT64/BYTES echo model and the real MobileNet: random JSON, mutated valid requests
 * (dropped, duplicated and retyped fields, huge/negative/fractional dims, shapes that do not
 * match the data, deep nesting, long and unicode strings), invalid UTF-8, random binary bodies
 * with random or lying `Inference-Header-Content-Length`, compressed bodies (gzip, deflate,
 * raw deflate; truncated, corrupted, layered, mislabelled, bombs past the limit), random
 * content types, paths and methods. Every answer must be a 2xx (an accidentally valid request) or a 4xx with a JSON
 * `{"error"}` body: never a 5xx, never a crash, never a hang (each request has a deadline),
 * and a valid request right after each case still succeeds.
 */

import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { DATATYPES, encodeInferenceRequest } from '@infer/codecs';
import type { InferServer } from '@infer/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  echoBody,
  echoModel,
  errorBodyProblem,
  type HttpAnswer,
  type HttpCall,
  HttpClient,
  jsonOf,
  mobilenetBody,
  mobilenetModel,
  portOf,
  rawExchange,
  startServer,
} from './helpers';

const SEED = 20_260_508;
const MAX_BODY = 1024 * 1024;

let server: InferServer;
let client: HttpClient;
let pixelsJson: string;

beforeAll(async () => {
  server = await startServer({
    models: [echoModel('echo'), mobilenetModel('mobilenet')],
    maxBodySize: MAX_BODY,
  });
  client = new HttpClient(server.url, { maxSockets: 1, deadlineMs: 10_000 });
  pixelsJson = JSON.stringify(mobilenetBody().inputs[0]!.data);
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.close();
}, 30_000);

// ---------------------------------------------------------------------------------------
// Building blocks

const INFER_PATHS = [
  '/v2/models/echo/infer',
  '/v2/models/mobilenet/infer',
  '/v2/models/echo/versions/1/infer',
  '/v2/models/nope/infer',
] as const;

/** Dims that break naive code: overflow, negative, fractional, non-numbers, zero. */
const NASTY_DIMS: unknown[] = [
  0,
  -1,
  -7,
  1.5,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  1e308,
  '3',
  null,
  true,
  [3],
  {},
];

const NASTY_VALUES: unknown[] = [
  null,
  true,
  '',
  'x'.repeat(70_000),
  '\u0000\uD83D\uDE00\u202E\uFFFF',
  -0,
  1e308,
  -1e308,
  2 ** 63,
  2 ** 53 + 2,
  [],
  [[[]]],
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
];

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'application/vnd.oip+json',
  'application/octet-stream',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  '*/*',
  ';;;',
  'application/json; charset=utf-8; charset=latin1',
] as const;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'] as const;

/** One mutation of a JSON request: applied to the value at `pick` (mod the node count). */
const mutationArb = fc.record({
  kind: fc.constantFrom(
    'drop',
    'retype',
    'nasty',
    'duplicate',
    'dims',
    'shape-data',
    'datatype',
    'name',
    'parameters',
    'outputs',
  ),
  pick: fc.nat(),
  value: fc.jsonValue({ maxDepth: 3 }),
  dim: fc.constantFrom(...NASTY_DIMS),
  nasty: fc.constantFrom(...NASTY_VALUES),
  datatype: fc.oneof(fc.constantFrom(...DATATYPES), fc.string({ maxLength: 8 })),
  text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constant('a/b/../c')),
  count: fc.integer({ min: 0, max: 9 }),
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

/** Every object and array of a JSON value (except the elements of long `data` arrays). */
function containers(value: Json, into: Container[] = []): Container[] {
  if (typeof value !== 'object' || value === null) return into;
  into.push(value);
  if (Array.isArray(value)) {
    if (value.length <= 64) for (const item of value) containers(item, into);
  } else {
    for (const key of Object.keys(value)) containers(value[key]!, into);
  }
  return into;
}

/** The `inputs[k]` objects of a request body. */
function tensors(body: Json): { [key: string]: Json }[] {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  return Array.isArray(inputs)
    ? inputs.filter((x): x is { [key: string]: Json } => typeof x === 'object' && x !== null)
    : [];
}

function applyMutation(
  body: Json,
  m: {
    kind: string;
    pick: number;
    value: unknown;
    dim: unknown;
    nasty: unknown;
    datatype: string;
    text: string;
    count: number;
  },
): void {
  const nodes = containers(body);
  const node = nodes[m.pick % nodes.length]!;
  const keys = Array.isArray(node) ? node.map((_, k) => k) : Object.keys(node);
  const key = keys[m.pick % Math.max(1, keys.length)];
  const set = (value: unknown) => {
    if (key === undefined) return;
    (node as Record<string | number, unknown>)[key] = value;
  };
  const tensorList = tensors(body);
  const tensor = tensorList[m.pick % Math.max(1, tensorList.length)];
  switch (m.kind) {
    case 'drop':
      if (key === undefined) return;
      if (Array.isArray(node)) node.splice(key as number, 1);
      else delete node[key as string];
      return;
    case 'retype':
      set(m.value);
      return;
    case 'nasty':
      set(m.nasty);
      return;
    case 'duplicate':
      if (Array.isArray(node) && key !== undefined)
        node.push(structuredClone(node[key as number]!));
      else if (tensor) (body as { inputs: Json[] }).inputs.push(structuredClone(tensor));
      return;
    case 'dims':
      if (!tensor) return;
      if (Array.isArray(tensor.shape) && tensor.shape.length > 0) {
        tensor.shape[m.pick % tensor.shape.length] = m.dim as Json;
      } else tensor.shape = [m.dim as Json];
      if (m.count === 0) tensor.shape = Array.from({ length: 40 }, () => 2);
      return;
    case 'shape-data':
      if (!tensor || !Array.isArray(tensor.data)) return;
      if (m.count < 3) tensor.data.splice(0, m.count + 1);
      else if (m.count < 6) tensor.data.push(...tensor.data.slice(0, m.count));
      else tensor.data = [tensor.data] as Json;
      return;
    case 'datatype':
      if (tensor) tensor.datatype = m.datatype;
      return;
    case 'name':
      if (!tensor) return;
      tensor.name = m.count === 0 ? 'n'.repeat(100_000) : m.text;
      return;
    case 'parameters': {
      const target = m.count % 2 === 0 || !tensor ? (body as { [key: string]: Json }) : tensor;
      if (typeof target !== 'object' || target === null || Array.isArray(target)) return;
      target.parameters = (
        m.count < 4
          ? {
              content_type: ['img', 'base64', 'np', 'str', 'json', 'pd', '??'][m.count]!,
              binary_data_output: m.count === 1,
            }
          : m.value
      ) as Json;
      return;
    }
    case 'outputs': {
      const root = body as { [key: string]: Json };
      if (typeof root !== 'object' || root === null || Array.isArray(root)) return;
      root.outputs = (
        m.count < 3
          ? [{ name: ['f', 'output', 'nope'][m.count]!, parameters: { binary_data: true } }]
          : m.value
      ) as Json;
    }
  }
}

/** A JSON text nested `depth` levels deep in `data` (arrays) or `parameters` (objects). */
function deeplyNested(depth: number, where: 'data' | 'parameters'): string {
  const body = echoBody(3);
  if (where === 'data') {
    const nested = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    return JSON.stringify(body).replace('"data":[1,1.5,2]', `"data":${nested}`);
  }
  const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return JSON.stringify(body).replace('"id":', `"parameters":${nested},"id":`);
}

/** Bytes that are not valid UTF-8: overlong, surrogates, truncated sequences, stray bytes. */
const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
  [0xf0, 0x9f, 0x98],
] as const;

// ---------------------------------------------------------------------------------------
// The cases: each is an HTTP call

const randomJsonCase = fc
  .record({ path: fc.constantFrom(...INFER_PATHS), value: fc.jsonValue({ maxDepth: 5 }) })
  .map(({ path, value }): HttpCall => ({ method: 'POST', path, body: value }));

const mutatedEchoCase = fc
  .record({ mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }), seed: fc.nat(99) })
  .map(({ mutations, seed }): HttpCall => {
    const body = echoBody(seed, 1 + (seed % 3)) as unknown as Json;
    for (const mutation of mutations) applyMutation(body, mutation);
    return { method: 'POST', path: '/v2/models/echo/infer', body };
  });

/** MobileNet cases mutate a small template; the 150528 pixels are spliced into the text after. */
const PIXELS = '"__pixels__"';
const mutatedMobilenetCase = fc
  .array(mutationArb, { minLength: 1, maxLength: 2 })
  .map((mutations): HttpCall => {
    const body = {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: '__pixels__' }],
    } as Json;
    for (const mutation of mutations) applyMutation(body, mutation);
    const text = JSON.stringify(body).replace(PIXELS, pixelsJson);
    return {
      method: 'POST',
      path: '/v2/models/mobilenet/infer',
      headers: { 'content-type': 'application/json' },
      body: text,
    };
  });

const hugeShapeCase = fc
  .record({
    path: fc.constantFrom('/v2/models/echo/infer', '/v2/models/mobilenet/infer'),
    dims: fc.array(fc.constantFrom(...NASTY_DIMS, 1, 3, 224), { minLength: 0, maxLength: 6 }),
    datatype: fc.constantFrom(...DATATYPES),
    data: fc.constantFrom([], [1, 2, 3], null, 'AAAA'),
  })
  .map(
    ({ path, dims, datatype, data }): HttpCall => ({
      method: 'POST',
      path,
      body: {
        inputs: [{ name: path.includes('echo') ? 'f' : 'input', datatype, shape: dims, data }],
      },
    }),
  );

const deepNestingCase = fc
  .record({
    depth: fc.constantFrom(8, 64, 1_000, 10_000, 100_000),
    where: fc.constantFrom('data' as const, 'parameters' as const),
  })
  .map(
    ({ depth, where }): HttpCall => ({
      method: 'POST',
      path: '/v2/models/echo/infer',
      headers: { 'content-type': 'application/json' },
      body: deeplyNested(depth, where),
    }),
  );

const invalidUtf8Case = fc
  .record({
    bad: fc.constantFrom(...INVALID_UTF8),
    at: fc.nat(),
    inString: fc.boolean(),
  })
  .map(({ bad, at, inString }): HttpCall => {
    const text = Buffer.from(JSON.stringify(echoBody(5)));
    // Inside a string value (after a quote), or anywhere.
    const quotes = [...text.entries()].filter(([, byte]) => byte === 0x22).map(([k]) => k + 1);
    const offset = inString ? quotes[at % quotes.length]! : at % (text.length + 1);
    const body = Buffer.concat([text.subarray(0, offset), Buffer.from(bad), text.subarray(offset)]);
    return { method: 'POST', path: '/v2/models/echo/infer', body };
  });

const binaryCase = fc
  .record({
    bytes: fc.uint8Array({ maxLength: 600 }),
    type: fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.string({ maxLength: 20 })),
    header: fc.option(
      fc.oneof(
        fc.integer({ min: -10, max: 700 }).map(String),
        fc.constantFrom('', 'abc', '1e3', '0x10', ' 12 ', '99999999999999999999', '-0', '1.5'),
      ),
    ),
    path: fc.constantFrom(...INFER_PATHS),
  })
  .map(({ bytes, type, header, path }): HttpCall => {
    const headers: Record<string, string> = {};
    if (type !== undefined && /^[\t\x20-\x7e]*$/.test(type)) headers['content-type'] = type;
    if (header !== null) headers['inference-header-content-length'] = header;
    return { method: 'POST', path, headers, body: Buffer.from(bytes) };
  });

/** A well-formed binary-extension request for the echo model, then made to lie. */
const lyingBinaryCase = fc
  .record({
    headerDelta: fc.integer({ min: -20, max: 20 }),
    sizeDelta: fc.integer({ min: -8, max: 8 }),
    cut: fc.nat(40),
    bytesPrefix: fc.option(fc.constantFrom(0xffffffff, 0x7fffffff, 1000, 0)),
  })
  .map(({ headerDelta, sizeDelta, cut, bytesPrefix }): HttpCall => {
    const request = {
      inputs: [
        { name: 'f', datatype: 'FP32', shape: [1, 3], data: new Float32Array([1, 2, 3]) },
        { name: 'i', datatype: 'INT64', shape: [1, 3], data: new BigInt64Array([1n, 2n, 3n]) },
        { name: 's', datatype: 'BYTES', shape: [1], data: [Buffer.from('abc')] },
      ],
    };
    const encoded = encodeInferenceRequest(request as never, { binary: true });
    let body = Buffer.from(encoded.body);
    const headerLength = Number(encoded.headers['inference-header-content-length']);
    if (sizeDelta !== 0) {
      // Rewrite the first binary_data_size in the JSON header (same text length).
      const header = body.subarray(0, headerLength).toString('latin1');
      const changed = header.replace(/"binary_data_size":(\d+)/, (_, n) =>
        `"binary_data_size":${Math.max(0, Number(n) + sizeDelta)}`.padEnd(
          `"binary_data_size":${n}`.length,
        ),
      );
      body = Buffer.concat([Buffer.from(changed, 'latin1'), body.subarray(headerLength)]);
    }
    if (bytesPrefix !== null && body.length >= 4) body.writeUInt32LE(bytesPrefix, body.length - 7);
    if (cut > 0) body = body.subarray(0, Math.max(0, body.length - cut));
    return {
      method: 'POST',
      path: '/v2/models/echo/infer',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(headerLength + headerDelta),
      },
      body,
    };
  });

const segmentArb = fc.oneof(
  fc.constantFrom('v2', 'models', 'echo', 'mobilenet', 'infer', 'ready', 'versions', 'health'),
  fc.constantFrom('..', '.', '', '%', '%FF', '%C0%80', '%2F', '%00', '%E2%82', 'repository'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

/** Real routes (under a random method) and their near misses. */
const ROUTES = [
  'v2',
  'v2/health/live',
  'v2/health/ready',
  'v2/models/echo',
  'v2/models/echo/ready',
  'v2/models/echo/infer',
  'v2/models/mobilenet/versions/1/ready',
  'v2/repository/index',
  'v2/docs',
  'metrics',
];

const randomRouteCase = fc
  .record({
    method: fc.constantFrom(...METHODS),
    segments: fc.oneof(
      fc.constantFrom(...ROUTES).map((route) => route.split('/')),
      fc.array(segmentArb, { maxLength: 7 }),
    ),
    query: fc.option(fc.string({ maxLength: 10 }).map(encodeURIComponent)),
    body: fc.option(fc.jsonValue({ maxDepth: 2 })),
  })
  .map(({ method, segments, query, body }): HttpCall => {
    const path = `/${segments.join('/')}${query === null ? '' : `?${query}`}`;
    return {
      method,
      path,
      ...(body === null || method === 'GET' || method === 'HEAD' ? {} : { body }),
    };
  });

const headerCase = fc
  .record({
    type: fc.constantFrom(...CONTENT_TYPES),
    extra: fc.dictionary(
      fc.constantFrom('accept', 'x-request-id', 'authorization', 'content-encoding'),
      fc.oneof(fc.constantFrom('gzip', 'x'.repeat(8_000), '*/*', '100-continue'), fc.string()),
      { maxKeys: 3 },
    ),
    expectContinue: fc.boolean(),
  })
  .map(({ type, extra, expectContinue }): HttpCall => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(extra)) {
      if (/^[\t\x20-\x7e]*$/.test(value)) headers[name] = value;
    }
    if (type !== undefined) headers['content-type'] = type;
    // node:http itself answers 417 (no body) to any other Expect; only 100-continue reaches us.
    if (expectContinue) headers.expect = '100-continue';
    return {
      method: 'POST',
      path: '/v2/models/echo/infer',
      headers,
      body: JSON.stringify(echoBody(2)),
    };
  });

const COMPRESSORS: Record<string, (bytes: Buffer) => Buffer> = {
  gzip: gzipSync,
  deflate: deflateSync,
  raw: deflateRawSync,
};

/** A valid or random body, compressed, then maybe cut, corrupted or mislabelled. */
const compressedCase = fc
  .record({
    body: fc.oneof(
      fc.nat(99).map((seed) => Buffer.from(JSON.stringify(echoBody(seed, 1 + (seed % 3))))),
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      // Inflates past the 1 MiB limit from a few KiB on the wire.
      fc.constant(Buffer.alloc(2 * MAX_BODY, 0x20)),
    ),
    layers: fc.array(fc.constantFrom('gzip', 'deflate', 'raw'), { minLength: 1, maxLength: 3 }),
    header: fc.option(
      fc.constantFrom('gzip', 'x-gzip', 'deflate', 'gzip, gzip', 'deflate, gzip', 'br', 'GZIP'),
    ),
    cut: fc.option(fc.nat(64)),
    flip: fc.option(fc.nat(4096)),
  })
  .map(({ body, layers, header, cut, flip }): HttpCall => {
    let bytes: Buffer = body;
    for (const layer of layers) bytes = COMPRESSORS[layer]!(bytes);
    if (cut !== null) bytes = bytes.subarray(0, Math.max(0, bytes.byteLength - 1 - cut));
    if (flip !== null && bytes.byteLength > 0) {
      bytes = Buffer.from(bytes);
      bytes[flip % bytes.byteLength]! ^= 0xff;
    }
    // The header the layers call for (raw deflate is sent as "deflate"), unless one is drawn.
    const named = layers.map((layer) => (layer === 'raw' ? 'deflate' : layer)).join(', ');
    return {
      method: 'POST',
      path: '/v2/models/echo/infer',
      headers: { 'content-type': 'application/json', 'content-encoding': header ?? named },
      body: bytes,
    };
  });

const labelled = (label: string, arbitrary: fc.Arbitrary<HttpCall>) =>
  arbitrary.map((call): HttpCall => ({ ...call, label }));

const caseArb = fc.oneof(
  { arbitrary: labelled('randomJsonCase', randomJsonCase), weight: 14 },
  { arbitrary: labelled('mutatedEchoCase', mutatedEchoCase), weight: 30 },
  { arbitrary: labelled('mutatedMobilenetCase', mutatedMobilenetCase), weight: 3 },
  { arbitrary: labelled('hugeShapeCase', hugeShapeCase), weight: 10 },
  { arbitrary: labelled('deepNestingCase', deepNestingCase), weight: 1 },
  { arbitrary: labelled('invalidUtf8Case', invalidUtf8Case), weight: 8 },
  { arbitrary: labelled('binaryCase', binaryCase), weight: 12 },
  { arbitrary: labelled('lyingBinaryCase', lyingBinaryCase), weight: 8 },
  { arbitrary: labelled('randomRouteCase', randomRouteCase), weight: 10 },
  { arbitrary: labelled('headerCase', headerCase), weight: 4 },
  { arbitrary: labelled('compressedCase', compressedCase), weight: 6 },
);

/** Hand-picked edge cases run before the random ones. */
const EXAMPLES: HttpCall[] = [
  // Zero rows: valid for the echo model; ONNX Runtime rejects it inside the graph.
  {
    method: 'POST',
    path: '/v2/models/mobilenet/infer',
    body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [0, 3, 224, 224], data: [] }] },
  },
  { method: 'POST', path: '/v2/models/echo/infer', body: echoBody(1, 0) },
  // Inputs that disagree on dim 0 (run alone, not batched).
  {
    method: 'POST',
    path: '/v2/models/echo/infer',
    body: {
      inputs: [
        { name: 'f', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
        { name: 'i', datatype: 'INT64', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
        { name: 's', datatype: 'BYTES', shape: [3], data: ['a', 'b', 'c'] },
      ],
    },
  },
  // A shape whose element count overflows 2^53, with no data.
  {
    method: 'POST',
    path: '/v2/models/mobilenet/infer',
    body: {
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [2 ** 31, 3, 2 ** 31, 2 ** 31], data: [] },
      ],
    },
  },
  // INT64 beyond the safe-integer range, FP32 beyond its range.
  {
    method: 'POST',
    path: '/v2/models/echo/infer',
    body: '{"inputs":[{"name":"f","datatype":"FP32","shape":[1,3],"data":[1e39,-1e39,1e-50]},{"name":"i","datatype":"INT64","shape":[1,3],"data":[9223372036854775807,-9223372036854775809,1]},{"name":"s","datatype":"BYTES","shape":[1],"data":["a"]}]}',
    headers: { 'content-type': 'application/json' },
  },
];

/** Why an answer to `call` breaks the contract, or '' when it is fine. */
function problem(call: HttpCall, answer: HttpAnswer): string {
  if (answer.status >= 500)
    return `status ${answer.status}: ${answer.body.toString().slice(0, 300)}`;
  if (answer.status < 200) return `status ${answer.status}`;
  if (answer.status >= 400 && call.method !== 'HEAD') {
    const why = errorBodyProblem(answer);
    if (why !== '') return `status ${answer.status} ${why}`;
  }
  return '';
}

const statuses = new Map<number, number>();
const timings = new Map<string, { n: number; ms: number; max: number }>();
const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

async function expectValidRequestSucceeds(round: number): Promise<void> {
  const answer = await client.post('/v2/models/echo/infer', echoBody(round));
  if (answer.status !== 200) {
    throw new Error(`a valid request after the case failed: ${answer.status} ${answer.body}`);
  }
  const json = jsonOf(answer) as { outputs: { data: unknown[] }[] };
  expect(json.outputs[2]!.data).toEqual([`row 0 of ${round}`]);
}

describe('fuzzed requests over HTTP', () => {
  it('3000 random and mutated requests: only 2xx/4xx JSON answers, the server keeps serving', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (call) => {
        runs++;
        const answer = await client.send(call);
        const kind = timings.get(call.label ?? '') ?? { n: 0, ms: 0, max: 0 };
        kind.n++;
        kind.ms += answer.ms;
        kind.max = Math.max(kind.max, answer.ms);
        timings.set(call.label ?? '', kind);
        count(answer.status);
        const why = problem(call, answer);
        if (why !== '') {
          const shown = Buffer.isBuffer(call.body)
            ? call.body.subarray(0, 200).toString('hex')
            : JSON.stringify(call.body)?.slice(0, 400);
          const headers = JSON.stringify(call.headers)?.slice(0, 300);
          throw new Error(`${call.method} ${call.path} ${headers} ${shown}\n-> ${why}`);
        }
        // A valid request right after (every 4th case, and after every 5xx-prone kind).
        if (runs % 4 === 0 || call.label === 'deepNestingCase') {
          await expectValidRequestSucceeds(runs % 1000);
        }
      }),
      {
        seed: SEED,
        numRuns: 3000,
        endOnFailure: true,
        examples: EXAMPLES.map((call): [HttpCall] => [{ ...call, label: 'example' }]),
      },
    );
    expect(runs).toBe(3000); // the hand-picked EXAMPLES run first, within the 3000
    const perKind = [...timings].map(
      ([kind, t]) =>
        `${kind.replace('Case', '')} ${t.n}x ${(t.ms / t.n).toFixed(1)}/${t.max.toFixed(0)} ms`,
    );
    console.info(
      `fuzz: ${runs} cases, statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `mean/max per kind: ${perKind.join(', ')}`,
    );
    // The fuzzer reached every layer: routing (404/405), media types (415), the codec and
    // validation (400) and, by accident, the models (200).
    for (const status of [200, 400, 404, 405, 415]) {
      expect(statuses.get(status) ?? 0, `answers with status ${status}`).toBeGreaterThan(0);
    }
    expect(statuses.get(400) ?? 0).toBeGreaterThan(1000);
  }, 120_000);

  it('a body over maxBodySize gets 413 (or the connection is cut) and the server keeps serving', async () => {
    const oversized = Buffer.alloc(MAX_BODY + 1, 0x20);
    const fresh = new HttpClient(server.url);
    try {
      const answer = await fresh.send({
        method: 'POST',
        path: '/v2/models/echo/infer',
        headers: { 'content-type': 'application/json' },
        body: oversized,
      });
      expect(answer.status).toBe(413);
      expect(errorBodyProblem(answer)).toBe('');
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toMatch(/ECONNRESET|EPIPE/);
    } finally {
      fresh.close();
    }
    await expectValidRequestSucceeds(1);
  });

  it('raw garbage on the socket never gets a 5xx and never stops the server', async () => {
    const port = portOf(server);
    const garbage = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
        fc
          .record({ declared: fc.integer({ min: 0, max: 1_000_000 }), sent: fc.nat(200) })
          .map(({ declared, sent }) =>
            Buffer.concat([
              Buffer.from(
                `POST /v2/models/echo/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`,
              ),
              Buffer.from(JSON.stringify(echoBody(1)).slice(0, sent)),
            ]),
          ),
        fc.constantFrom(
          Buffer.from('GET /v2/health/live HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n'),
          Buffer.from(
            'GET /v2/health/live HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n',
          ),
          Buffer.from(
            'POST /v2/models/echo/infer HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
          ),
          Buffer.from(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`),
          Buffer.from('GET /v2/health/live HTTP/9.9\r\n\r\n'),
        ),
      ),
      { seed: SEED, numRuns: 120 },
    );
    for (const bytes of garbage) {
      const { received } = await rawExchange(port, bytes, 3_000);
      const statusLine = /^HTTP\/1\.1 (\d{3})/.exec(received.toString('latin1'));
      if (statusLine)
        expect(Number(statusLine[1]), bytes.toString('latin1', 0, 120)).toBeLessThan(500);
    }
    await expectValidRequestSucceeds(2);
  }, 60_000);
});
