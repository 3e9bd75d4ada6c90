/**
 * Shared helpers of the hardening suite: the models it serves (an FP32/INT64/BYTES echo
 * model, the real MobileNet, slow and hanging models), a keep-alive HTTP client with a hard
 * per-request deadline (a hang fails the test instead of stalling it), raw socket access, and
 * small polling utilities. Every server listens on 127.0.0.1 port 0.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceRequest, Tensor } from '@infer/codecs';
import { defineModel, type InferServer, type ServeOptions, serve } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root. */
export const ROOT = join(here, '..', '..');

/** MobileNetV2 int8: input `input` FP32 [-1,3,224,224], output `output` FP32 [-1,1000]. */
export const MOBILENET = join(ROOT, 'models', 'mobilenet', 'model.onnx');

/** The plain-JS runtime plugin that worker threads load (see its header for behaviours). */
export const FAULT_RUNTIME = join(ROOT, 'test', 'fixtures', 'fault-runtime.mjs');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts `serve()` on 127.0.0.1 port 0 with a silent logger. */
export function startServer(options: ServeOptions): Promise<InferServer> {
  return serve({ host: '127.0.0.1', port: 0, shutdownGraceMs: 5_000, ...options });
}

/** The port a server listens on. */
export function portOf(server: InferServer): number {
  return Number(new URL(server.url).port);
}

/**
 * The echo model: inputs `f` FP32 [-1,3], `i` INT64 [-1,3], `s` BYTES [-1], returned as the
 * outputs of the same names. Batchable along dim 0.
 */
export function echoModel(name = 'echo', hooks: { onPredict?: (inputs: Tensor[]) => void } = {}) {
  return defineModel({
    name,
    inputs: [
      { name: 'f', datatype: 'FP32', shape: [-1, 3] },
      { name: 'i', datatype: 'INT64', shape: [-1, 3] },
      { name: 's', datatype: 'BYTES', shape: [-1] },
    ],
    outputs: [
      { name: 'f', datatype: 'FP32', shape: [-1, 3] },
      { name: 'i', datatype: 'INT64', shape: [-1, 3] },
      { name: 's', datatype: 'BYTES', shape: [-1] },
    ],
    predict: (request) => {
      hooks.onPredict?.(request.inputs);
      return request.inputs.map((input) => ({ ...input }));
    },
  });
}

/** A valid JSON body for the echo model (`rows` rows; values derived from `seed`). */
export function echoBody(seed = 1, rows = 1) {
  return {
    id: `req-${seed}`,
    inputs: [
      {
        name: 'f',
        datatype: 'FP32',
        shape: [rows, 3],
        data: Array.from({ length: rows * 3 }, (_, k) => seed + k * 0.5),
      },
      {
        name: 'i',
        datatype: 'INT64',
        shape: [rows, 3],
        data: Array.from({ length: rows * 3 }, (_, k) => seed * 10 + k),
      },
      {
        name: 's',
        datatype: 'BYTES',
        shape: [rows],
        data: Array.from({ length: rows }, (_, k) => `row ${k} of ${seed}`),
      },
    ],
  };
}

/** The real MobileNet as an in-process OnnxModel (one intra-op thread: the machine is shared). */
export function mobilenetModel(name = 'mobilenet') {
  return new OnnxModel({ name, path: MOBILENET, intraOpThreads: 1 });
}

/** A valid MobileNet body: one image of small integers (short JSON). */
export function mobilenetBody(seed = 0) {
  return {
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [1, 3, 224, 224],
        data: Array.from({ length: 3 * 224 * 224 }, (_, k) => ((k + seed) % 7) - 3),
      },
    ],
  };
}

/**
 * A model `x` FP32 [-1,-1] -> `x` that waits `delayMs` per batch (timer, not CPU) and
 * reports each call's signal, so tests can see what was aborted.
 */
export function slowModel(
  name: string,
  options: {
    delayMs: number;
    maxQueueSize?: number;
    timeoutMs?: number;
    maxBatchSize?: number;
    /** Resolve early (reject) when the signal aborts. Default `true`. */
    honourSignal?: boolean;
    onCall?: (request: InferenceRequest, signal: AbortSignal | undefined) => void;
  },
) {
  const { delayMs, honourSignal = true } = options;
  return defineModel({
    name,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    serving: {
      ...(options.maxQueueSize === undefined ? {} : { maxQueueSize: options.maxQueueSize }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      batching: options.maxBatchSize === undefined ? false : { maxBatchSize: options.maxBatchSize },
    },
    predict: async (request, { signal }) => {
      options.onCall?.(request, signal);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, delayMs);
        function done() {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
        function onAbort() {
          clearTimeout(timer);
          reject(signal?.reason);
        }
        if (honourSignal) signal?.addEventListener('abort', onAbort, { once: true });
      });
      return request.inputs;
    },
  });
}

/** A JSON body for an `x` FP32 [1,n] model. */
export function xBody(values: number[]) {
  return { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, values.length], data: values }] };
}

/** A response read in full. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds from sending to the end of the response. */
  ms: number;
}

/** What {@link HttpClient.send} sends. */
export interface HttpCall {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** A Buffer as is; a string as UTF-8; anything else as JSON (content-type json). */
  body?: unknown;
  /** A label for reports (e.g. the fuzz case kind); not sent. */
  label?: string;
}

/**
 * A keep-alive HTTP/1.1 client over node:http with a hard deadline per request: a server
 * that never answers rejects with `no answer within ...` (a hang is a test failure, not a
 * stalled suite).
 */
export class HttpClient {
  readonly agent: Agent;
  constructor(
    readonly base: string,
    options: { maxSockets?: number; deadlineMs?: number } = {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 1 });
    this.deadlineMs = options.deadlineMs ?? 15_000;
  }
  readonly deadlineMs: number;

  send(call: HttpCall): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...call.headers };
    let body: Buffer | undefined;
    if (Buffer.isBuffer(call.body)) body = call.body;
    else if (typeof call.body === 'string') body = Buffer.from(call.body);
    else if (call.body !== undefined) {
      body = Buffer.from(JSON.stringify(call.body));
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    if (body !== undefined) headers['content-length'] = String(body.byteLength);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${this.base}${call.path}`, {
        method: call.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        agent: this.agent,
      });
      const deadline = setTimeout(() => {
        request.destroy();
        reject(new Error(`no answer within ${this.deadlineMs} ms to ${call.method} ${call.path}`));
      }, this.deadlineMs);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(deadline);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
            ms: performance.now() - started,
          });
        });
        response.on('error', (error) => {
          clearTimeout(deadline);
          reject(error);
        });
      });
      request.on('error', (error) => {
        clearTimeout(deadline);
        reject(error);
      });
      request.end(body);
    });
  }

  /** POSTs `body` as JSON. */
  post(path: string, body: unknown): Promise<HttpAnswer> {
    return this.send({ method: 'POST', path, body });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The parsed JSON of an answer (undefined when it is not JSON). */
export function jsonOf(answer: HttpAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Why an error answer breaks the contract (a JSON `{error: string}` body, no stack), or ''. */
export function errorBodyProblem(answer: HttpAnswer): string {
  const type = String(answer.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) return `content-type ${type}`;
  const json = jsonOf(answer) as { error?: unknown } | undefined;
  if (typeof json !== 'object' || json === null) return 'body is not a JSON object';
  if (typeof json.error !== 'string' || json.error === '') return 'no string "error"';
  if (/\n\s+at /.test(json.error)) return 'error carries a stack trace';
  return '';
}

/**
 * Opens a raw TCP connection to the server. `collect()` resolves with every byte the server
 * sent once it closed the connection (or after `timeoutMs`).
 */
export function rawSocket(port: number): Promise<Socket & { received: () => Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(Object.assign(socket, { received: () => Buffer.concat(chunks) }));
    });
  });
}

/** Sends `bytes` on a fresh connection and returns what came back before close or `timeoutMs`. */
export async function rawExchange(
  port: number,
  bytes: Buffer,
  timeoutMs = 2_000,
): Promise<{ received: Buffer; closed: boolean }> {
  const socket = await rawSocket(port);
  const closed = new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), timeoutMs).unref();
  });
  socket.end(bytes);
  const wasClosed = await closed;
  socket.destroy();
  return { received: socket.received(), closed: wasClosed };
}

/** Open connections of a node server. */
export function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** Polls `probe` every 10 ms until it returns true; false after `timeoutMs`. */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 3_000,
): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > end) return false;
    await sleep(10);
  }
}
