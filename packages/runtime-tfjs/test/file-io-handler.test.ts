import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError, ModelLoadFailedError } from '@infer/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectModelFormat, fileIOHandler, readModelJson, TfjsModel } from '../src/index';
import { embeddingModel, saveModel } from './generated-models';
import { CENTERNET, ESRGAN_X2 } from './model-files';

describe('file IO handler', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'runtime-tfjs-'));
    const model = embeddingModel();
    await saveModel(model, join(directory, 'embedding'), 1000);
    model.dispose();
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('concatenates several weight shards in manifest order (generated INT32 model, exact answer)', async () => {
    const json = JSON.parse(await readFile(join(directory, 'embedding', 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths.length).toBe(5); // 600*2*4 bytes in 1000-byte shards
    const model = new TfjsModel({ name: 'embedding', path: join(directory, 'embedding') });
    await model.load();
    expect(model.metadata().inputs).toEqual([{ name: 'ids', datatype: 'INT32', shape: [-1, 4] }]);
    expect(model.metadata().outputs).toEqual([
      { name: 'table', datatype: 'FP32', shape: [-1, 4, 2] },
    ]);
    const { outputs } = await model.predict({
      inputs: [
        { name: 'ids', datatype: 'INT32', shape: [1, 4], data: new Int32Array([0, 7, 250, 599]) },
      ],
    });
    expect(outputs[0]?.shape).toEqual([1, 4, 2]);
    expect(Array.from(outputs[0]?.data as Float32Array)).toEqual([
      0, -0, 7, -7, 250, -250, 599, -599,
    ]);
    await model.unload();
  });

  it('accepts a directory or the model.json path, and loads with the plain TF.js loaders', async () => {
    expect((await readModelJson(ESRGAN_X2)).path).toBe(join(ESRGAN_X2, 'model.json'));
    const layers = await tf.loadLayersModel(fileIOHandler(join(ESRGAN_X2, 'model.json')));
    expect(layers.inputs[0]?.shape).toEqual([null, null, null, 3]);
    layers.dispose();
    const graph = await tf.loadGraphModel(fileIOHandler(CENTERNET));
    expect(graph.inputNodes).toEqual(['tower_0/images']);
    graph.dispose();
  });

  it('detects the format from model.json', async () => {
    expect(detectModelFormat((await readModelJson(ESRGAN_X2)).json)).toBe('layers');
    expect(detectModelFormat((await readModelJson(CENTERNET)).json)).toBe('graph');
    const bare = { modelTopology: { node: [], versions: {} }, weightsManifest: [] };
    expect(detectModelFormat(bare as unknown as tf.io.ModelJSON)).toBe('graph');
  });

  it('names the missing file', async () => {
    await expect(readModelJson(join(directory, 'nope'))).rejects.toThrow(
      /options.path does not exist/,
    );
    const broken = join(directory, 'broken');
    await saveModel(embeddingModel(), broken, 100_000);
    await rm(join(broken, 'group1-shard1.bin'));
    const error = await tf.loadLayersModel(fileIOHandler(broken)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(/weight shard is missing: .*group1-shard1\.bin/);
  });

  it('refuses weight paths that are URLs or leave the model directory', async () => {
    for (const path of ['https://example.com/w.bin', '../escape.bin', '/etc/passwd']) {
      const dir = join(directory, `bad-${encodeURIComponent(path)}`);
      await saveModel(embeddingModel(), dir, 100_000);
      const file = join(dir, 'model.json');
      const json = JSON.parse(await readFile(file, 'utf8'));
      json.weightsManifest[0].paths = [path];
      await writeFile(file, JSON.stringify(json));
      await expect(tf.loadLayersModel(fileIOHandler(file))).rejects.toThrow(/weight path/);
    }
  });

  it('TfjsModel.load() reports what the files lack as ModelLoadFailedError (as OnnxModel, and as a worker does)', async () => {
    const missing = new TfjsModel({ name: 'gone', path: join(directory, 'nope'), backend: 'cpu' });
    const error = await missing.load().catch((e: unknown) => e);
    expect(ModelLoadFailedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^Model "gone" failed to load: options.path does not exist/,
    );
    const notModel = join(directory, 'not-a-model.json');
    await writeFile(notModel, '{"hello": 1}');
    const other = new TfjsModel({ name: 'other', path: notModel, backend: 'cpu' });
    const otherError = await other.load().catch((e: unknown) => e);
    expect(ModelLoadFailedError.isInstance(otherError)).toBe(true);
    expect((otherError as Error).message).toMatch(/not a TF.js model.json/);
  });

  it('refuses a JSON file that is not a TF.js model', async () => {
    const file = join(directory, 'other.json');
    await writeFile(file, '{"hello": 1}');
    await expect(readModelJson(file)).rejects.toThrow(/not a TF.js model.json/);
  });
});
