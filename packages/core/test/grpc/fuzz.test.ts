import * as grpc from '@grpc/grpc-js';
import type { Tensor } from '@infer/codecs';
import { OnnxModel } from '@infer/runtime-onnx';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finchPixels, MOBILENET } from '../../../runtime-onnx/test/__fixtures__/inputs';
import { defineModel } from '../../src/define-model';
import { type Case, caseArb, decodeResponse, EXAMPLES, encodeRequest } from './fuzz-cases';
import { call, plain, rawBytes, responseTensors } from './grpc-client';
import { type GrpcFixture, startGrpcFixture } from './grpc-fixture';

const SEED = 20_261_126;
const BATCH = 25;
const RUNS = 120; // batches: the hand-picked EXAMPLES, then 119 x 25 random cases
const DEADLINE_MS = 10_000;
const METHOD = '/inference.GRPCInferenceService/ModelInfer';

const STATUS = grpc.status;
const DESERIALIZE_FAILED = 'Error deserializing request';
const UNPARSEABLE = 'not a valid protobuf message';

/** `echo`: f FP32 [-1,3], i INT64 [-1,3], s BYTES [-1] back as outputs of the same names. */
const echo = defineModel({
  name: 'echo',
  version: '1',
  inputs: [
    { name: 'f', datatype: 'FP32', shape: [-1, 3] },
    { name: 'i', datatype: 'INT64', shape: [-1, 3] },
    { name: 's', datatype: 'BYTES', shape: [-1] },
  ],
  outputs: [
    { name: 'f', datatype: 'FP32', shape: [-1, 3] },
    { name: 'i', datatype: 'INT64', shape: [-1, 3] },
    { name: 's', datatype: 'BYTES', shape: [-1] },
  ],
  predict: (request) => request.inputs.map((input) => ({ ...input })),
});

let fixture: GrpcFixture;
/** A client of the same server that sends and receives bytes as they are. */
let bytesClient: grpc.Client;
let finch: Buffer;

beforeAll(async () => {
  const mobilenet = new OnnxModel({ name: 'mobilenet', path: MOBILENET, intraOpThreads: 1 });
  fixture = await startGrpcFixture([echo, mobilenet]);
  bytesClient = new grpc.Client(fixture.server.address, grpc.credentials.createInsecure());
  finch = rawBytes(await finchPixels());
}, 60_000);

afterAll(async () => {
  bytesClient?.close();
  await fixture?.close();
}, 30_000);

// ---------------------------------------------------------------------------------------
// Sending and judging

interface Outcome {
  code: number;
  details: string;
  response?: Buffer;
}

function send(bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    bytesClient.makeUnaryRequest<Buffer, Buffer>(
      METHOD,
      (message) => message,
      (message) => message,
      bytes,
      new grpc.Metadata(),
      { deadline: Date.now() + DEADLINE_MS },
      (error, response) =>
        resolve(
          error
            ? { code: error.code, details: error.details }
            : { code: STATUS.OK, details: '', ...(response ? { response } : {}) },
        ),
    );
  });
}

/** Why the outcome of a case breaks the contract, or '' when it is fine. */
function problem(c: Case, outcome: Outcome): string {
  const { code, details } = outcome;
  if (code === STATUS.OK) {
    try {
      const tensors = responseTensors(decodeResponse(outcome.response ?? Buffer.alloc(0)));
      // In any order: a model may answer in its input order (echo) or its output order.
      const byName = (list: Tensor[]) => [...list].sort((a, b) => (a.name < b.name ? -1 : 1));
      if ('expected' in c && c.expected !== undefined)
        expect(byName(tensors).map(plain)).toEqual(byName(c.expected).map(plain));
    } catch (error) {
      return `answered OK but the answer is wrong: ${(error as Error).message.slice(0, 300)}`;
    }
    return '';
  }
  if ('expected' in c && c.expected !== undefined) return `a valid request got ${code} ${details}`;
  if (code === STATUS.INVALID_ARGUMENT || code === STATUS.NOT_FOUND) return '';
  if (code === STATUS.UNAVAILABLE && 'request' in c && c.request.model_name === 'broken') return '';
  return `status ${code} (${details})`;
}

function describeCase(c: Case): string {
  if ('bytes' in c) return `${c.label} bytes ${c.bytes.subarray(0, 120).toString('hex')}`;
  const text = JSON.stringify(c.request, (_, value) =>
    value?.type === 'Buffer' ? `<${value.data.length} bytes>` : value,
  );
  return `${c.label} ${text.slice(0, 600)}`;
}

async function expectServing(round: number): Promise<void> {
  const answer = await call(
    fixture.client,
    'ModelInfer',
    {
      model_name: 'doubler',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [round, -1] } },
      ],
    },
    { timeoutMs: DEADLINE_MS },
  );
  expect(responseTensors(answer).map(plain)[0]).toEqual({
    name: 'y',
    datatype: 'FP32',
    shape: [1, 2],
    data: [2 * round, -2],
  });
}

async function expectMobilenetServing(): Promise<void> {
  const answer = await call(
    fixture.client,
    'ModelInfer',
    {
      model_name: 'mobilenet',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224] }],
      raw_input_contents: [finch],
    },
    { timeoutMs: DEADLINE_MS },
  );
  const logits = responseTensors(answer)[0]!.data as Float32Array;
  const top = logits.indexOf(Math.max(...logits));
  expect(top).toBe(12);
  expect(logits[12]).toBeCloseTo(17.1, 0);
}

// ---------------------------------------------------------------------------------------

describe('fuzzed ModelInfer messages over gRPC', () => {
  it('the judge fails INTERNAL and UNKNOWN, bytes that do not parse included', () => {
    const message: Case = { label: 'random', request: { model_name: 'nope' } };
    const bytes: Case = { label: 'bytes:random', bytes: Buffer.from([0xff]) };
    const answer = (code: number, details = 'x'): Outcome => ({ code, details });
    expect(problem(message, answer(STATUS.INVALID_ARGUMENT))).toBe('');
    expect(problem(message, answer(STATUS.NOT_FOUND))).toBe('');
    expect(problem(message, answer(STATUS.INTERNAL, DESERIALIZE_FAILED))).not.toBe('');
    expect(problem(message, answer(STATUS.UNKNOWN))).not.toBe('');
    expect(problem(message, answer(STATUS.UNAVAILABLE))).not.toBe('');
    expect(problem(bytes, answer(STATUS.INTERNAL, DESERIALIZE_FAILED))).not.toBe('');
    expect(problem(bytes, answer(STATUS.INVALID_ARGUMENT, UNPARSEABLE))).toBe('');
    expect(problem(bytes, answer(STATUS.INTERNAL, 'Model "m" failed to predict'))).not.toBe('');
    const broken: Case = { label: 'random', request: { model_name: 'broken' } };
    expect(problem(broken, answer(STATUS.UNAVAILABLE))).toBe('');
    const valid: Case = { ...message, expected: [] };
    expect(problem(valid, answer(STATUS.INVALID_ARGUMENT))).toContain('a valid request got 3');
  });

  it('bytes that are not a protobuf message are INVALID_ARGUMENT with the reason, not INTERNAL', async () => {
    // A varint that never ends; field 1 as a varint with no value; field 1 (model_name) as
    // length-delimited with no length.
    for (const bytes of [Buffer.from([0xff]), Buffer.from([0x08]), Buffer.from([0x0a])]) {
      const outcome = await send(bytes);
      expect(grpc.status[outcome.code]).toBe('INVALID_ARGUMENT');
      expect(outcome.details).toContain(`ModelInfer: the request is ${UNPARSEABLE}`);
    }
    await expectServing(0);
  });

  it(`${RUNS} batches of up to ${BATCH} parallel calls: no INTERNAL, no crash, the server keeps answering right`, async () => {
    await expectMobilenetServing();

    const statuses = new Map<string, number>();
    const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const started = performance.now();
    const problems: string[] = [];
    let runs = 0;
    let cases = 0;
    // Problems are collected, not thrown: fast-check would print the whole batch of 25.
    await fc.assert(
      fc.asyncProperty(fc.array(caseArb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        if (problems.length > 0) return;
        runs++;
        const outcomes = await Promise.all(
          batch.map((c) => send('bytes' in c ? c.bytes : encodeRequest(c.request))),
        );
        for (const [k, c] of batch.entries()) {
          const outcome = outcomes[k]!;
          cases++;
          count(`${c.label.split(':')[0]} ${grpc.status[outcome.code]}`);
          if (outcome.details.includes('rejected the request')) count('onnx rejected');
          if (outcome.details.includes(UNPARSEABLE))
            count(`unparseable ${grpc.status[outcome.code]}`);
          const why = problem(c, outcome);
          if (why !== '') problems.push(`${describeCase(c)}\n  -> ${why}`);
        }
        try {
          await expectServing(runs);
          if (runs % 20 === 0) await expectMobilenetServing();
        } catch (error) {
          problems.push(`the valid call after batch ${runs} failed: ${(error as Error).message}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, examples: [[EXAMPLES]] },
    );
    expect(problems.slice(0, 5).join('\n')).toBe('');
    await expectMobilenetServing();
    await expectServing(-1);
    // Map keys named like Object.prototype members polluted nothing.
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).bool_param).toBeUndefined();
    const seconds = (performance.now() - started) / 1000;
    const summary = [...statuses].sort().map(([key, n]) => `${key} ${n}`);
    console.info(`gRPC fuzz: ${cases} cases in ${seconds.toFixed(1)} s; ${summary.join(', ')}`);

    expect(runs).toBe(RUNS);
    expect(cases).toBe(EXAMPLES.length + (RUNS - 1) * BATCH);
    // The fuzzer reached every layer: decoding and validation (INVALID_ARGUMENT), model
    // lookup (NOT_FOUND, UNAVAILABLE), the models (OK), ONNX Runtime's own checks, and
    // the protobuf parser (bytes that do not parse: INVALID_ARGUMENT).
    const total = (suffix: string) =>
      [...statuses].filter(([key]) => key.endsWith(suffix)).reduce((sum, [, n]) => sum + n, 0);
    expect(total(' OK')).toBeGreaterThan(300);
    expect(total(' INVALID_ARGUMENT')).toBeGreaterThan(1000);
    expect(total(' NOT_FOUND')).toBeGreaterThan(50);
    expect(total(' UNAVAILABLE')).toBeGreaterThan(0);
    expect(statuses.get('valid OK') ?? 0).toBeGreaterThan(100);
    expect(statuses.get('bytes OK') ?? 0).toBeGreaterThan(0);
    expect(statuses.get('unparseable INVALID_ARGUMENT') ?? 0).toBeGreaterThan(0);
    expect(statuses.get('onnx rejected') ?? 0).toBeGreaterThan(0);
  }, 180_000);
});
