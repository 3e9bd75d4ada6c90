import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OnnxModel, supportedProviders } from '@infer/runtime-onnx';
import { describe, expect, it } from 'vitest';
import { MOBILENET } from './__fixtures__/inputs';

/** Whether ORT's CUDA provider libraries were installed (ONNXRUNTIME_NODE_INSTALL=cuda12). */
const ortBin = join(
  dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
  'bin',
  'napi-v6',
  process.platform,
  process.arch,
);
const cudaInstalled = existsSync(join(ortBin, 'libonnxruntime_providers_cuda.so'));

function recordingLogger() {
  const warnings: { object: Record<string, unknown>; message: string | undefined }[] = [];
  return {
    warnings,
    warn(object: object, message?: string) {
      warnings.push({ object: object as Record<string, unknown>, message });
    },
  };
}

describe('execution providers', () => {
  it('lists what this onnxruntime-node build has (cpu always)', () => {
    const names = supportedProviders().map((backend) => backend.name);
    expect(names).toContain('cpu');
  });

  it('runs on cpu by default and says so in metadata', async () => {
    const logger = recordingLogger();
    const model = new OnnxModel({ name: 'm', path: MOBILENET, intraOpThreads: 1, logger });
    await model.load();
    expect(model.metadata().parameters?.execution_provider).toBe('cpu');
    expect(model.skippedProviders).toEqual([]);
    expect(logger.warnings).toEqual([]);
    await model.unload();
  });

  it.skipIf(process.platform === 'win32')(
    'falls back to cpu with one warning when a provider is not in the build (dml off Windows)',
    async () => {
      const logger = recordingLogger();
      const model = new OnnxModel({
        name: 'm',
        path: MOBILENET,
        intraOpThreads: 1,
        executionProviders: ['dml'],
        logger,
      });
      await model.load();
      expect(model.executionProvider).toBe('cpu');
      expect(model.metadata().parameters?.execution_provider).toBe('cpu');
      expect(model.skippedProviders).toEqual([
        { name: 'dml', reason: expect.stringContaining('not in this onnxruntime-node build') },
      ]);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]!.message).toMatch(
        /execution provider dml not available, running on cpu/,
      );
      expect(logger.warnings[0]!.object).toMatchObject({ model: 'm', provider: 'cpu' });
      await model.unload();
    },
  );

  it.skipIf(cudaInstalled || process.platform !== 'linux')(
    'falls back to cpu when cuda is listed but its libraries are not installed, and says how to install them',
    async () => {
      const logger = recordingLogger();
      const model = new OnnxModel({
        name: 'm',
        path: MOBILENET,
        intraOpThreads: 1,
        executionProviders: ['cuda', 'webgpu', 'cpu'],
        logger,
      });
      await model.load();
      expect(model.executionProvider).toBe('cpu');
      const [cuda] = model.skippedProviders;
      expect(cuda).toEqual({
        name: 'cuda',
        reason: expect.stringContaining('ONNXRUNTIME_NODE_INSTALL=cuda12'),
      });
      expect(logger.warnings).toHaveLength(1);
      await model.unload();
    },
  );

  it('fails load with strictProviders when no requested provider works', async () => {
    const model = new OnnxModel({
      name: 'strict',
      path: MOBILENET,
      executionProviders: [{ name: 'coreml' }, 'dml'],
      strictProviders: true,
      logger: recordingLogger(),
    });
    const error = await model.load().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INFER_ERR_MODEL_LOAD_FAILED', model: 'strict' });
    expect((error as Error).message).toMatch(/coreml: .*dml: .*strictProviders/);
    expect(model.ready).toBe(false);
  });

  it('with strictProviders, falls back to cpu only when cpu was requested', async () => {
    const logger = recordingLogger();
    const model = new OnnxModel({
      name: 'strict-cpu',
      path: MOBILENET,
      intraOpThreads: 1,
      executionProviders: ['coreml', 'cpu'],
      strictProviders: true,
      logger,
    });
    await model.load();
    expect(model.executionProvider).toBe('cpu');
    expect(logger.warnings).toHaveLength(1);
    await model.unload();
  });
});
