/**
 * Serving knobs given over the settings (`infer serve --workers 2`) reach the runtime as it is
 * created, so what it derives from them agrees with a settings file that says the same.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serveFromSettings } from '../../src/settings/serve-from-settings';

const MOBILENET = fileURLToPath(new URL('../../../../models/mobilenet', import.meta.url));

describe('serveFromSettings({ serving })', () => {
  it('gives an ONNX model with --workers 2 one core share of intra-op threads per worker', async () => {
    const server = await serveFromSettings({
      paths: [],
      env: {},
      overrides: { port: 0, modelDirs: [MOBILENET], metrics: { enabled: false } },
      serving: { workers: 2 },
    });
    try {
      const response = await fetch(`${server.url}/v2/models/mobilenet`);
      const { parameters } = (await response.json()) as { parameters: Record<string, unknown> };
      expect(parameters.workers).toBe(2);
      expect(parameters.intra_op_threads).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    } finally {
      await server.close();
    }
  });
});
