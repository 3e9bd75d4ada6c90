/**
 * A bare `node:http` server on 127.0.0.1 port 0, for answers the real server never gives
 * (other servers' error bodies, a huge `Retry-After`, a slow answer); it counts the requests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawServer {
  url: string;
  /** Requests received so far. */
  readonly hits: number;
  /** The request headers of the last request (lower-case names). */
  readonly lastHeaders: IncomingMessage['headers'] | undefined;
  close(): Promise<void>;
}

/** Server metadata, as a valid `GET /v2` answer. */
export const SERVER_METADATA = '{"name":"raw","version":"1","extensions":[]}';

/** Starts a server that answers every request with `handler`. */
export async function startRawServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<RawServer> {
  let hits = 0;
  let lastHeaders: IncomingMessage['headers'] | undefined;
  const server = createServer((request, response) => {
    hits += 1;
    lastHeaders = request.headers;
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get hits() {
      return hits;
    },
    get lastHeaders() {
      return lastHeaders;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
