import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Status and message for each parser error node:http answers itself (as its defaults). */
function answerFor(code: string | undefined): { status: number; reason: string; error: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        error: 'Request header fields too large',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large', error: 'Chunk extensions too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', error: 'Request timed out' };
    default:
      return { status: 400, reason: 'Bad Request', error: 'Malformed HTTP request' };
  }
}

/**
 * The raw HTTP/1.1 answer to a request node:http could not parse: JSON `{"error": "..."}`,
 * `Connection: close`.
 *
 * @internal
 * @example
 * clientErrorAnswer('HPE_HEADER_OVERFLOW'); // 'HTTP/1.1 431 Request Header Fields Too Large\r\n...'
 */
export function clientErrorAnswer(code: string | undefined): string {
  const { status, reason, error } = answerFor(code);
  const body = JSON.stringify({ error });
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'content-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'connection: close\r\n\r\n' +
    body
  );
}

/** The response node:http is writing on this socket, if any (`socket._httpMessage`). */
function inFlightResponse(socket: Socket): ServerResponse | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}

/**
 * Makes a `node:http` server answer the requests it cannot parse itself (malformed request
 * line or header: 400; header over `maxHeaderSize`: 431; chunk extensions too large: 413;
 * header or request timeout: 408) and an `Expect` other than `100-continue` (417) in JSON,
 * `{"error": "..."}` with `Connection: close`, as every other @infer error, instead of
 * node's bare text answers. Like node's default, it writes nothing when an answer already
 * started on the connection (it only closes it), and ignores resets. `serve()` installs it;
 * call it on a server you create around `createNodeHandler()`.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createNodeHandler, handleClientErrors } from '@infer/core/node';
 * const server = createServer(createNodeHandler(service));
 * handleClientErrors(server);
 * server.listen(8080);
 */
export function handleClientErrors(server: Server): Server {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // An answer already started on this connection: writing another would corrupt it.
    if (
      error.code === 'ECONNRESET' ||
      !socket.writable ||
      inFlightResponse(socket)?.headersSent === true
    ) {
      socket.destroy();
      return;
    }
    // Ends (flushes the answer) and then closes: the parser cannot go on on this connection.
    socket.end(clientErrorAnswer(error.code), () => socket.destroy());
  });
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify({
      error: 'Expectation failed: only "Expect: 100-continue" is supported',
    });
    response.writeHead(417, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    response.end(body);
  });
  return server;
}
