import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type SettingsServer, serveFromSettings } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defineSchema, textOf } from '../src/index';

const root = new URL('../../../', import.meta.url);
const finch = new Uint8Array(readFileSync(new URL('fixtures/finch.jpeg', root)));

/** What `client.model('mobilenet').schema()` returns for models/mobilenet, pasted. */
const mobilenetSchema = defineSchema({
  inputs: { image: { datatype: 'BYTES', shape: [-1] } },
  outputs: {
    label: { datatype: 'BYTES', shape: [-1, 5] },
    probability: { datatype: 'FP32', shape: [-1, 5] },
    class_index: { datatype: 'INT32', shape: [-1, 5] },
  },
} as const);

let server: SettingsServer;

beforeAll(async () => {
  server = await serveFromSettings({
    paths: [fileURLToPath(new URL('models/mobilenet', root))],
    env: {},
    overrides: { port: 0, host: '127.0.0.1' },
  });
}, 120_000);
afterAll(() => server?.close());

describe('the real MobileNet classifier (models/mobilenet) through serveFromSettings', () => {
  it('classifies fixtures/finch.jpeg as "house finch" (class 12), image sent as raw bytes', async () => {
    const client = createClient({ baseUrl: server.url });
    expect(await client.model('mobilenet').schema()).toEqual(mobilenetSchema);
    const mobilenet = client.model('mobilenet', mobilenetSchema);
    const result = await mobilenet.infer({ image: finch });
    expect(result.model_name).toBe('mobilenet');
    expect(result.outputs.label.shape).toEqual([1, 5]);
    expect(textOf(result.outputs.label)[0]).toMatch(/^house finch/);
    expect(result.outputs.class_index.data[0]).toBe(12);
    expect(result.outputs.probability.data[0]).toBeGreaterThan(0.5);
  });

  it('asks for one output only', async () => {
    const client = createClient({ baseUrl: server.url });
    const result = await client
      .model('mobilenet', mobilenetSchema)
      .infer({ image: finch }, { outputs: ['class_index'] });
    expect(Object.keys(result.outputs)).toEqual(['class_index']);
    expect(result.outputs.class_index.data[0]).toBe(12);
  });
});
