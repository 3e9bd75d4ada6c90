import type { Tensor } from '@infer/codecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModel } from '../../src/define-model';
import { timeoutFromDeadline } from '../../src/grpc/grpc-handlers';
import { call, createClient, statusOf } from './grpc-client';
import { type GrpcFixture, startGrpcFixture } from './grpc-fixture';

/** Holds each call until released; queue of one. */
const gate: { release: (() => void)[]; started: number } = { release: [], started: 0 };
const gated = defineModel({
  name: 'gated',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  serving: { batching: false, maxQueueSize: 1, warmup: false },
  predict: (request) =>
    new Promise<Tensor[]>((resolve) => {
      gate.started++;
      gate.release.push(() => resolve(request.inputs));
    }),
});

/** Holds every call until released, under a 300 ms timeout of its own. */
const briefGate: (() => void)[] = [];
const brief = defineModel({
  name: 'brief',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  serving: { batching: false, timeoutMs: 300, warmup: false },
  predict: (request) =>
    new Promise<Tensor[]>((resolve) => briefGate.push(() => resolve(request.inputs))),
});

let fixture: GrpcFixture;
beforeAll(async () => {
  fixture = await startGrpcFixture([gated, brief]);
});
afterAll(async () => {
  for (const release of [...gate.release, ...briefGate]) release();
  await fixture?.close();
});

const x = { name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } };
const infer = (model: string, extra: object = {}, options = {}) =>
  call(fixture.client, 'ModelInfer', { model_name: model, inputs: [x], ...extra }, options);

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('errors as gRPC status codes (ERROR_CODES grpc column)', () => {
  it('unknown model and unknown version are NOT_FOUND', async () => {
    const model = await statusOf(infer('nope'));
    expect(model.code).toBe(5);
    expect(model.details).toBe('Model "nope" not found');
    const version = await statusOf(infer('doubler', { model_version: '7' }));
    expect(version.code).toBe(5);
  });

  it('a model that failed to load is UNAVAILABLE', async () => {
    const error = await statusOf(infer('broken'));
    expect(error.code).toBe(14);
    expect(error.details).toContain('not ready');
  });

  it('a requested output the model does not have is INVALID_ARGUMENT', async () => {
    const error = await statusOf(infer('doubler', { outputs: [{ name: 'nope' }] }));
    expect(error.code).toBe(3);
    expect(error.details).toContain('no output "nope"');
  });

  it('an empty model_name is INVALID_ARGUMENT', async () => {
    expect((await statusOf(infer(''))).code).toBe(3);
  });

  it('a model that throws is INTERNAL with a generic message: no secret, no stack', async () => {
    const error = await statusOf(infer('failing'));
    expect(error.code).toBe(13);
    expect(error.details).toBe('Model "failing" failed to predict');
    expect(error.details).not.toContain('SECRET');
    expect(error.details).not.toContain(' at ');
  });

  it('a full queue is UNAVAILABLE with retry-after trailing metadata', async () => {
    const running = infer('gated');
    await until(() => gate.started === 1);
    const queued = infer('gated');
    await until(() => fixture.repository.get('gated').queueLength === 1);
    const error = await statusOf(infer('gated'));
    expect(error.code).toBe(14);
    expect(error.metadata.get('retry-after')).toEqual(['1']);
    for (const release of gate.release.splice(0)) release();
    await until(() => gate.release.length === 1);
    for (const release of gate.release.splice(0)) release();
    await Promise.all([running, queued]);
  });
});

describe('status messages', () => {
  it('one that echoes a long model name is cut to 2 KiB encoded, and the channel goes on', async () => {
    // Uncut, these made trailers of 300 KB to 1.8 MB: the client never got the status
    // (DEADLINE_EXCEEDED) and other calls on its connection stalled. A connection of its own
    // keeps the other tests' out of it.
    const client = createClient(fixture.server.address, { 'grpc.use_local_subchannel_pool': 1 });
    const x = { name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } };
    const inferOn = (model: string) =>
      call(client, 'ModelInfer', { model_name: model, inputs: [x] }, { timeoutMs: 5000 });
    try {
      for (const name of ['x'.repeat(300_000), 'é'.repeat(300_000), '🙂'.repeat(100_000)]) {
        const error = await statusOf(inferOn(name));
        expect(error.code).toBe(5);
        expect(error.details.startsWith(`Model "${name.slice(0, 100)}`)).toBe(true);
        expect(error.details.endsWith('...')).toBe(true);
        expect(error.details.includes('\uFFFD')).toBe(false);
        expect(Buffer.byteLength(error.details)).toBeGreaterThan(400);
        expect(encodeURI(error.details).length).toBeLessThanOrEqual(2048);
        expect((await inferOn('doubler')).model_name).toBe('doubler');
      }
    } finally {
      client.close();
    }
  });
});

describe('request checks as over REST', () => {
  const xJson = { name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] };
  /** The `error` REST answers (400) to the same request as JSON. */
  async function restError(body: object): Promise<string> {
    const response = await fixture.service.request('/v2/models/doubler/infer', {
      method: 'POST',
      body: { inputs: [xJson], ...body },
    });
    expect(response.status).toBe(400);
    return (JSON.parse(response.text()) as { error: string }).error;
  }

  it('a requested output named twice is INVALID_ARGUMENT', async () => {
    for (const outputs of [
      [{ name: 'y' }, { name: 'y' }],
      [
        { name: 'z' },
        { name: 'y' },
        { name: 'y', parameters: { binary_data: { bool_param: true } } },
      ],
    ]) {
      const error = await statusOf(infer('doubler', { outputs }));
      expect(error.code).toBe(3);
      const rest = await restError({
        outputs: outputs.map(({ name }) => ({ name })),
      });
      expect(error.details).toBe(rest);
    }
    expect(
      (await statusOf(infer('doubler', { outputs: [{ name: 'y' }, { name: 'y' }] }))).details,
    ).toBe('outputs[1]: duplicate name "y"');
  });

  it('binary_data and binary_data_output that are not booleans are INVALID_ARGUMENT', async () => {
    const top = await statusOf(
      infer('doubler', { parameters: { binary_data_output: { string_param: 'true' } } }),
    );
    expect(top.code).toBe(3);
    expect(top.details).toBe(await restError({ parameters: { binary_data_output: 'true' } }));
    expect(top.details).toBe('parameters.binary_data_output must be a boolean, got "true"');
    const output = await statusOf(
      infer('doubler', {
        outputs: [{ name: 'y', parameters: { binary_data: { int64_param: '1' } } }],
      }),
    );
    expect(output.code).toBe(3);
    expect(output.details).toBe(
      await restError({ outputs: [{ name: 'y', parameters: { binary_data: 1 } }] }),
    );
    // Booleans still choose the answer's form.
    const raw = await infer('doubler', {
      outputs: [{ name: 'y', parameters: { binary_data: { bool_param: true } } }],
    });
    expect(raw.raw_output_contents.length).toBe(1);
    const typed = await infer('doubler', {
      parameters: { binary_data_output: { bool_param: false } },
    });
    expect(typed.raw_output_contents.length).toBe(0);
  });
});

describe('deadlines and cancellation', () => {
  it('a deadline becomes the request timeout: gives 1 ms when already past, none without', () => {
    expect(timeoutFromDeadline(10_500, 10_000)).toBe(500);
    expect(timeoutFromDeadline(new Date(10_000), 10_200)).toBe(1);
    expect(timeoutFromDeadline(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('a deadline that expires in the queue is DEADLINE_EXCEEDED and the model never runs it', async () => {
    const before = fixture.probe.slowCalls;
    const first = infer('slow');
    await until(() => fixture.probe.slowCalls === before + 1);
    const error = await statusOf(infer('slow', {}, { timeoutMs: 200 }));
    expect(error.code).toBe(4);
    // The server drops it from the queue at its deadline (a few ms after the client gives up).
    await until(() => fixture.repository.get('slow').queueLength === 0, 1000);
    // Let the first finish: the expired request must not run after it.
    fixture.probe.release.at(-1)!();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fixture.probe.slowCalls).toBe(before + 1);
  });

  it('a deadline that expires while the model runs is DEADLINE_EXCEEDED and aborts its signal', async () => {
    const before = fixture.probe.slowCalls;
    const error = await statusOf(infer('slow', {}, { timeoutMs: 300 }));
    expect(error.code).toBe(4);
    expect(fixture.probe.slowCalls).toBe(before + 1);
    const signal = fixture.probe.slowSignals.at(-1)!;
    await until(() => signal.aborted);
  });

  it("a deadline longer than the model's timeout does not lengthen it", async () => {
    const started = Date.now();
    const error = await statusOf(infer('brief', {}, { timeoutMs: 60_000 }));
    expect(error.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a cancelled call aborts the signal the model was given', async () => {
    const before = fixture.probe.slowCalls;
    let cancel: (() => void) | undefined;
    const pending = infer(
      'slow',
      {},
      { onCall: (c: { cancel(): void }) => (cancel = () => c.cancel()) },
    );
    await until(() => fixture.probe.slowCalls === before + 1);
    const signal = fixture.probe.slowSignals.at(-1)!;
    expect(signal.aborted).toBe(false);
    cancel!();
    const error = await statusOf(pending);
    expect(error.code).toBe(1);
    await until(() => signal.aborted);
  });

  it('a call cancelled while queued never runs', async () => {
    const before = fixture.probe.slowCalls;
    const first = infer('slow');
    await until(() => fixture.probe.slowCalls === before + 1);
    let cancel: (() => void) | undefined;
    const queued = infer(
      'slow',
      {},
      { onCall: (c: { cancel(): void }) => (cancel = () => c.cancel()) },
    );
    await until(() => fixture.repository.get('slow').queueLength === 1);
    cancel!();
    expect((await statusOf(queued)).code).toBe(1);
    await until(() => fixture.repository.get('slow').queueLength === 0);
    fixture.probe.release.at(-1)!();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fixture.probe.slowCalls).toBe(before + 1);
  });
});

describe('draining', () => {
  it('after shutdown begins, ModelInfer is UNAVAILABLE and ServerReady false', async () => {
    const draining = fixture.service.shutdown({ timeoutMs: 1000, closeRepository: false });
    const error = await statusOf(infer('doubler'));
    expect(error.code).toBe(14);
    expect(error.details).toContain('shutting down');
    expect(await call(fixture.client, 'ServerReady', {})).toEqual({ ready: false });
    expect(await call(fixture.client, 'ModelReady', { name: 'doubler' })).toEqual({ ready: false });
    await draining;
  });
});
