import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A response read in full. @internal */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Body bytes written when the response arrived (0: answered on the headers alone). */
  sentBeforeResponse: number;
}

/** Options of {@link rawRequest}. @internal */
export interface RawRequestOptions {
  method: string;
  headers?: Record<string, string | number>;
  /** Body chunks, written one by one with a short pause; writing stops once a response arrives. */
  chunks?: Buffer[];
  /** Wait this long for an early response after sending the headers, before any body. Default 0. */
  holdBodyMs?: number;
  /** Called once the request was sent; return to let the suite destroy it, for abort tests. */
  onSent?: (destroy: () => void) => void;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A request on `node:http` with control over body timing, for what `fetch` cannot do:
 * reading an early 413 while still sending, or disconnecting mid-request.
 *
 * @internal
 */
export function rawRequest(url: string, options: RawRequestOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const request = httpRequest(url, {
      method: options.method,
      headers: { connection: 'close', ...options.headers },
    });
    request.on('response', (response) => {
      answered = true;
      const sentBeforeResponse = sent;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
          sentBeforeResponse,
        }),
      );
      response.on('error', reject);
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const send = async () => {
      request.flushHeaders();
      if (options.holdBodyMs) await pause(options.holdBodyMs);
      for (const chunk of options.chunks ?? []) {
        if (answered || request.destroyed) return;
        sent += chunk.byteLength;
        await new Promise<void>((done) => request.write(chunk, () => done()));
        await pause(2);
      }
      if (!answered && !request.destroyed) request.end();
      options.onSent?.(() => request.destroy());
    };
    send().catch(reject);
  });
}
