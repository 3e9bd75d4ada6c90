import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConformanceServer } from '@infer/core/testing';

/** Listens on 127.0.0.1 port 0; `close()` cuts every connection and waits for the server. */
export async function listen(server: Server, prefix = ''): Promise<ConformanceServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
