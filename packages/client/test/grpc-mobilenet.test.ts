/**
 * The real MobileNet over gRPC: the classifier of models/mobilenet (a JPEG as one BYTES
 * element) and the raw ONNX model on a 602 kB FP32 tensor (raw contents, typed contents),
 * with the same answers as the REST client.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type InferServer, type SettingsServer, serve, serveFromSettings } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finchPixels } from '../../runtime-onnx/test/__fixtures__/inputs';
import { createGrpcClient, type GrpcClient } from '../src/grpc/index';
import { createClient, defineSchema, textOf } from '../src/index';

const root = new URL('../../../', import.meta.url);
const finch = new Uint8Array(readFileSync(new URL('fixtures/finch.jpeg', root)));

const mobilenetSchema = defineSchema({
  inputs: { image: { datatype: 'BYTES', shape: [-1] } },
  outputs: {
    label: { datatype: 'BYTES', shape: [-1, 5] },
    probability: { datatype: 'FP32', shape: [-1, 5] },
    class_index: { datatype: 'INT32', shape: [-1, 5] },
  },
} as const);

const rawSchema = defineSchema({
  inputs: { input: { datatype: 'FP32', shape: [-1, 3, 224, 224] } },
  outputs: { output: { datatype: 'FP32', shape: [-1, 1000] } },
} as const);

let classifier: SettingsServer;
let raw: InferServer;
const clients: GrpcClient[] = [];
let pixels: Float32Array;

beforeAll(async () => {
  [classifier, raw, pixels] = await Promise.all([
    serveFromSettings({
      paths: [fileURLToPath(new URL('models/mobilenet', root))],
      env: {},
      overrides: { port: 0, host: '127.0.0.1', grpc: { enabled: true, port: 0 } },
    }),
    serve({
      models: [
        new OnnxModel({
          name: 'mobilenet-raw',
          path: fileURLToPath(new URL('models/mobilenet/model.onnx', root)),
          intraOpThreads: 1,
        }),
      ],
      port: 0,
      host: '127.0.0.1',
      grpc: { port: 0 },
    }),
    finchPixels(),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await classifier?.close();
  await raw?.close();
});

function grpcClient(address: string, contents: 'raw' | 'typed' = 'raw'): GrpcClient {
  const client = createGrpcClient({ address, contents });
  clients.push(client);
  return client;
}

function argmax(row: ArrayLike<number>): { index: number; value: number } {
  let index = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[index]!) index = i;
  return { index, value: row[index]! };
}

describe('the real MobileNet over gRPC', () => {
  it('classifies fixtures/finch.jpeg as "house finch" (class 12), as REST does', async () => {
    const client = grpcClient(classifier.grpc!.address);
    expect(await client.model('mobilenet').schema()).toEqual(mobilenetSchema);
    const mobilenet = client.model('mobilenet', mobilenetSchema);
    const result = await mobilenet.infer({ image: finch });
    expect(result.model_name).toBe('mobilenet');
    expect(result.outputs.label.shape).toEqual([1, 5]);
    expect(textOf(result.outputs.label)[0]).toMatch(/^house finch/);
    expect(result.outputs.class_index.data[0]).toBe(12);
    const viaRest = await createClient({ baseUrl: classifier.url })
      .model('mobilenet', mobilenetSchema)
      .infer({ image: finch });
    expect(textOf(result.outputs.label)).toEqual(textOf(viaRest.outputs.label));
    expect(result.outputs.class_index.data).toEqual(viaRest.outputs.class_index.data);
    expect(result.outputs.probability.data).toEqual(viaRest.outputs.probability.data);
  });

  it('the raw model gives logit ~17.1 for class 12, raw and typed contents alike, as REST', async () => {
    const address = raw.grpc!.address;
    const results = await Promise.all(
      (['raw', 'typed'] as const).map((contents) =>
        grpcClient(address, contents).model('mobilenet-raw', rawSchema).infer({ input: pixels }),
      ),
    );
    const viaRest = await createClient({ baseUrl: raw.url })
      .model('mobilenet-raw', rawSchema)
      .infer({ input: pixels });
    for (const result of results) {
      expect(result.outputs.output.shape).toEqual([1, 1000]);
      const top = argmax(result.outputs.output.data);
      expect(top.index).toBe(12);
      expect(top.value).toBeGreaterThan(16.9);
      expect(top.value).toBeLessThan(17.4);
      expect(result.outputs.output.data).toEqual(viaRest.outputs.output.data);
    }
  });
});
