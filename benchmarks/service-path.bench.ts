/**
 * Question: what does the in-process REST path cost per request, without HTTP, and where
 * does it go? `InferenceService.handle()` of an OIP infer request (JSON, FP32 [1,16]) on an
 * identity `defineModel`, with the adaptive batcher (default serving options) and with
 * `batching: false`; beside it the pieces on their own: the codec decode and encode, the
 * batcher with a no-op model, and `JSON.parse` + `JSON.stringify` of the same body (what a
 * bare echo route does). Each `handle()` carries its own request object, as an adapter's
 * would; the signal-less case is what adapters now pass by default (their client signal is
 * not an `AbortSignal` until read; see packages/core/src/adapters/client-signal.ts), and the
 * `AbortSignal` case is what a caller passing its own signal pays.
 * Imports the built packages (`pnpm build` first; `pnpm bench service-path` does it).
 *
 * Run: pnpm bench service-path
 */
import { AdaptiveBatcher } from '@infer/batching';
import { decodeInferenceRequest, encodeInferenceResponse } from '@infer/codecs';
import { defineModel, InferenceService, ModelRepository } from '@infer/core';
import { bench, do_not_optimize, group, run, summary } from 'mitata';

const text = JSON.stringify({
  inputs: [
    {
      name: 'x',
      datatype: 'FP32',
      shape: [1, 16],
      data: Array.from({ length: 16 }, (_, i) => i / 16),
    },
  ],
});
const body = new TextEncoder().encode(text);

async function service(batching: boolean): Promise<InferenceService> {
  const repository = new ModelRepository();
  repository.add(
    defineModel({
      name: 'identity',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 16] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 16] }],
      ...(batching ? {} : { serving: { batching: false as const } }),
      predict: (request) => [{ ...request.inputs[0]!, name: 'y' }],
    }),
  );
  await repository.loadAll();
  return new InferenceService({ repository });
}

const batched = await service(true);
const unbatched = await service(false);
const inferRequest = (signal?: AbortSignal) => ({
  method: 'POST',
  path: '/v2/models/identity/infer',
  headers: { 'content-type': 'application/json', 'content-length': String(body.byteLength) },
  body,
  ...(signal === undefined ? {} : { signal }),
});
// Sanity check before timing: both answer 200 with the identity output.
for (const s of [batched, unbatched]) {
  const response = await s.handle(inferRequest());
  if (response.status !== 200) throw new Error(`handle() answered ${response.status}`);
}
const decoded = decodeInferenceRequest(body);
const response = { model_name: 'identity', outputs: [{ ...decoded.inputs[0]!, name: 'y' }] };
const echo = new AdaptiveBatcher<number, number>({ run: async (items) => items });

summary(() => {
  group('handle() one request, JSON FP32 [1,16]', () => {
    bench('handle(), batching on (default)', async () =>
      do_not_optimize(await batched.handle(inferRequest())),
    );
    bench('handle(), batching: false', async () =>
      do_not_optimize(await unbatched.handle(inferRequest())),
    );
    bench('handle(), batching on, own AbortSignal', async () =>
      do_not_optimize(await batched.handle(inferRequest(new AbortController().signal))),
    );
  });
});
group('the pieces', () => {
  bench('decodeInferenceRequest(bytes)', () => do_not_optimize(decodeInferenceRequest(body)));
  bench('encodeInferenceResponse()', () =>
    do_not_optimize(encodeInferenceResponse(response, decoded)),
  );
  bench('AdaptiveBatcher.submit(), no-op run', async () => do_not_optimize(await echo.submit(1)));
  bench('bare echo: JSON.parse + JSON.stringify', () =>
    do_not_optimize(JSON.stringify(JSON.parse(text))),
  );
});

await run();
