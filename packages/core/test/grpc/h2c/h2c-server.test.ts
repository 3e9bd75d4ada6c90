import { connect } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { FLAG, FRAME, rstStreamFrame } from '../../../src/grpc/h2c/frames';
import { H2cGrpcServer } from '../../../src/grpc/h2c/h2c-grpc-server';
import {
  dataFrame,
  frameClient,
  grpcMessage,
  grpcRequestHeaders,
  headersFrame,
} from './frame-client';

const identity = (bytes: Buffer) => bytes;
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

const servers: H2cGrpcServer[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.forceShutdown();
});

/** A server with a unary, a server-streaming, a client-streaming and a throwing method. */
async function start(maxConcurrentStreams: number) {
  const server = new H2cGrpcServer({
    maxMessageBytes: 1 << 20,
    windowBytes: 65_535,
    maxConcurrentStreams,
    Metadata: grpc.Metadata,
  });
  servers.push(server);
  server.addService(
    {
      Echo: method('/t.T/Echo', false, false),
      Watch: method('/t.T/Watch', false, true),
      Collect: method('/t.T/Collect', true, false),
      Throw: method('/t.T/Throw', false, false),
    } as unknown as grpc.ServiceDefinition,
    {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
        callback(null, call.request),
      Watch: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        call.write(call.request);
        call.end();
      },
      // Answers on 'end' only, as grpc-js handlers do: never after a cancel.
      Collect: (
        call: grpc.ServerReadableStream<Buffer, Buffer>,
        callback: grpc.sendUnaryData<Buffer>,
      ) => call.on('end', () => callback(null, Buffer.from('collected'))),
      Throw: () => {
        throw new Error('secret=hunter2');
      },
    },
  );
  const port = await server.listen(0, '127.0.0.1');
  return port;
}

/** Calls on one HTTP/2 connection; each resolves with its grpc-status (or the reset code). */
function session(port: number) {
  const client = connect(`http://127.0.0.1:${port}`);
  const call = (path: string, body: Buffer, options: { cancel?: boolean } = {}) =>
    new Promise<{ status?: string | undefined; message?: string | undefined; reset?: number }>(
      (resolve) => {
        const stream = client.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        let status: string | undefined;
        let message: string | undefined;
        const take = (headers: Record<string, unknown>) => {
          status ??= headers['grpc-status'] as string | undefined;
          message ??= headers['grpc-message'] as string | undefined;
        };
        stream.on('response', take);
        stream.on('trailers', take);
        stream.on('data', () => {});
        stream.on('error', () => {});
        stream.on('close', () =>
          resolve(status === undefined ? { reset: stream.rstCode } : { status, message }),
        );
        if (options.cancel) {
          // Some bytes of a stream it never ends, then RST_STREAM(CANCEL).
          stream.write(body, () => setTimeout(() => stream.close(grpc.status.CANCELLED), 10));
        } else stream.end(body);
      },
    );
  return { call, close: () => client.close() };
}

describe('H2cGrpcServer stream slots', () => {
  it('server-streaming calls give their slot back (health Watch is one)', async () => {
    const { call, close } = session(await start(3));
    try {
      for (let i = 0; i < 6; i++) {
        expect((await call('/t.T/Watch', grpcMessage(Buffer.from('w')))).status).toBe('0');
      }
      expect((await call('/t.T/Echo', grpcMessage(Buffer.from('e')))).status).toBe('0');
    } finally {
      close();
    }
  });

  it('client-streaming calls the client cancels give their slot back', async () => {
    const port = await start(3);
    const raw = await frameClient(port);
    try {
      // HEADERS and DATA, never END_STREAM, then RST_STREAM(CANCEL): the handler, which
      // answers on 'end' only, never calls back.
      for (const id of [1, 3, 5, 7]) {
        raw.send(
          headersFrame(id, grpcRequestHeaders('/t.T/Collect')),
          dataFrame(id, grpcMessage(Buffer.from('c'))),
          rstStreamFrame(id, 8),
        );
      }
      raw.send(
        headersFrame(9, grpcRequestHeaders('/t.T/Echo')),
        dataFrame(9, grpcMessage(Buffer.from('e')), true),
      );
      const answer = await raw.waitFor(
        (f) =>
          f.streamId === 9 &&
          (f.type === FRAME.RST_STREAM ||
            (f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0)),
      );
      expect(answer.type).toBe(FRAME.HEADERS);
    } finally {
      raw.close();
    }
  });

  it("a handler's exception is UNKNOWN 'Unknown error': its text stays in the server", async () => {
    const { call, close } = session(await start(10));
    try {
      const answer = await call('/t.T/Throw', grpcMessage(Buffer.from('x')));
      expect(answer).toEqual({ status: '2', message: 'Unknown error' });
    } finally {
      close();
    }
  });
});
