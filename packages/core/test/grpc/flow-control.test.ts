import { connect } from 'node:http2';
import { type GrpcInferServer, serveGrpc } from '@infer/core/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceService } from '../../src/inference-service';
import { ModelRepository } from '../../src/model-repository';

const servers: GrpcInferServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The windows a plain HTTP/2 client sees from the server: per stream and per connection. */
async function windowsOf(address: string): Promise<{ stream: number; connection: number }> {
  const session = connect(`http://${address}`);
  try {
    const settings = await new Promise<{ initialWindowSize?: number }>((resolve, reject) => {
      session.once('remoteSettings', resolve);
      session.once('error', reject);
    });
    // The connection window arrives as a WINDOW_UPDATE after the settings: give it a moment.
    const started = Date.now();
    while (Date.now() - started < 2000 && (session.state.remoteWindowSize ?? 0) <= 65_535) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return {
      stream: settings.initialWindowSize ?? 65_535,
      connection: session.state.remoteWindowSize ?? 0,
    };
  } finally {
    session.close();
  }
}

async function start(options: { flowControlWindowBytes?: number }) {
  const service = new InferenceService({ repository: new ModelRepository() });
  const server = await serveGrpc(service, { port: 0, shutdownGraceMs: 500, ...options });
  servers.push(server);
  return server;
}

describe('gRPC HTTP/2 flow-control windows', () => {
  it('opens the stream and connection windows to 8 MiB by default', async () => {
    const server = await start({});
    expect(await windowsOf(server.address)).toEqual({
      stream: 8 * 1024 * 1024,
      connection: 8 * 1024 * 1024,
    });
  });

  it('takes a configured size, and 0 keeps HTTP/2 defaults', async () => {
    const wide = await start({ flowControlWindowBytes: 1024 * 1024 });
    expect(await windowsOf(wide.address)).toEqual({ stream: 1024 * 1024, connection: 1024 * 1024 });
    const plain = await start({ flowControlWindowBytes: 0 });
    expect((await windowsOf(plain.address)).stream).toBe(65_535);
  });

  it('refuses a window HTTP/2 cannot announce', async () => {
    const service = new InferenceService({ repository: new ModelRepository() });
    await expect(serveGrpc(service, { port: 0, flowControlWindowBytes: 2 ** 31 })).rejects.toThrow(
      'options.flowControlWindowBytes must be an integer from 0 to 2147483647',
    );
  });
});
