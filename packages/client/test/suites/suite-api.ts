/**
 * What a shared suite (`*.suite.ts`) gets: the test functions and a host for the server-side
 * facts. The same suite body runs in Node (vitest's `describe`/`it`/`expect`, see the
 * `*.test.ts` files) and in headless Chromium (a recorder and `@vitest/expect`, see
 * `../browser/`). Nothing here may import a Node module: the browser bundle fails if it does.
 */
import type { ExpectStatic } from 'vitest';

/** `describe`, `it` and `expect`: vitest's in Node, the page's own in the browser. */
export interface SuiteApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeoutMs?: number): void;
  expect: ExpectStatic;
}

/** The servers under test and what they saw; read when a test runs, not when it is defined. */
export interface SuiteHost {
  /** Base URL of the test server (`echo-<datatype>`, `pair`, `slow`, `overloaded-once`). */
  readonly url: string;
  /** Base URL of a server with the real MobileNet (`models/mobilenet`). */
  readonly mobilenetUrl: string;
  /** Request headers (lower-case) of the last infer/metadata call to `model` the server saw. */
  seenHeaders(model: string): Promise<Record<string, string | undefined> | undefined>;
  /** Restarts `overloaded-once` so that its next call answers 503 with Retry-After 1. */
  resetOverloaded(): Promise<void>;
  /** Calls of `slow` the server has seen so far: started, and aborted (the client went away). */
  slowCalls(): Promise<{ started: number; aborted: number }>;
  /** The bytes of `fixtures/finch.jpeg`. */
  finch(): Promise<Uint8Array>;
}

/** Byte-wise equality of two typed arrays (fast, unlike a deep equal over 64k elements). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const left = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const right = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}

/** Polls `read` until it returns true or `ms` pass; returns the last reading. */
export async function eventually(read: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await read()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (caught: unknown) => caught,
  );
}
