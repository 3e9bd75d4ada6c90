import { describe, expect, it } from 'vitest';
import { GRPC_IMPORTERS, loadGrpcModules } from '../../src/grpc/grpc-modules';
import { createGrpcServer } from '../../src/grpc/grpc-server';
import { serveGrpc } from '../../src/grpc/serve-grpc';
import { InferenceService } from '../../src/inference-service';
import { ModelRepository } from '../../src/model-repository';

const notFound = (name: string) => () =>
  Promise.reject(
    Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' }),
  );

describe('the gRPC packages are optional peers, loaded on first use', () => {
  it('a missing @grpc/grpc-js is INFER_ERR_INVALID_OPTION naming it and the install command', async () => {
    const error = await loadGrpcModules({
      ...GRPC_IMPORTERS,
      grpc: notFound('@grpc/grpc-js'),
    }).then(
      () => ({ code: 'resolved', message: '' }),
      (e: unknown) => e as Error & { code: string },
    );
    expect(error.code).toBe('INFER_ERR_INVALID_OPTION');
    expect(error.message).toContain('@grpc/grpc-js (not installed)');
    expect(error.message).toContain('npm install @grpc/grpc-js @grpc/proto-loader');
  });

  it('missing reflection and health packages leave those services out, not the server', async () => {
    const modules = await loadGrpcModules({
      ...GRPC_IMPORTERS,
      reflection: notFound('@grpc/reflection'),
      health: notFound('grpc-health-check'),
    });
    expect(modules.reflection).toBeUndefined();
    expect(modules.health).toBeUndefined();
    expect(typeof modules.grpc.Server).toBe('function');
  });

  it('another import failure is not hidden as "not installed"', async () => {
    const broken = () => Promise.reject(new SyntaxError('Unexpected token'));
    await expect(loadGrpcModules({ ...GRPC_IMPORTERS, protoLoader: broken })).rejects.toThrow(
      SyntaxError,
    );
  });

  it('createGrpcServer validates its options before loading anything', async () => {
    const service = new InferenceService({ repository: new ModelRepository() });
    await expect(createGrpcServer(service, { maxMessageBytes: 0 })).rejects.toThrow(
      'options.maxMessageBytes must be a positive integer (bytes)',
    );
    await expect(createGrpcServer(service, { health: 'yes' as never })).rejects.toThrow(
      'options.health must be a boolean',
    );
    await expect(createGrpcServer(service, { reflection: 1 as never })).rejects.toThrow(
      'options.reflection must be a boolean',
    );
    await expect(createGrpcServer(service, { logger: {} as never })).rejects.toThrow(
      'options.logger must have debug, info, warn and error methods',
    );
  });
});

describe('serveGrpc option validation', () => {
  const service = new InferenceService({ repository: new ModelRepository() });
  it.each([
    [{ port: -1 }, 'options.port must be an integer from 0 to 65535'],
    [{ port: 1.5 }, 'options.port must be an integer from 0 to 65535'],
    [{ host: '' }, 'options.host must be a non-empty string'],
    [{ shutdownGraceMs: -5 }, 'options.shutdownGraceMs must be a non-negative integer (ms)'],
    [{ serverOptions: 'x' }, 'options.serverOptions must be an object'],
  ])('%j: %s', async (options, message) => {
    await expect(serveGrpc(service, options as never)).rejects.toThrow(message);
  });
});
