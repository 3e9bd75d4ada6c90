/**
 * Runs the shared suites outside vitest: `describe`/`it` record each case with its path
 * (`['health and metadata', 'reports live and ready ...']`), `runCase` runs one. The page uses
 * it to run the cases; the Node runner uses it to learn their names. No Node import here.
 */
import type { ExpectStatic } from 'vitest';
import type { SuiteApi } from '../suites/suite-api';

/** One `it` of a shared suite. */
export interface RecordedCase {
  path: string[];
  body: () => Promise<void> | void;
  timeoutMs: number | undefined;
}

/** What running a case in the page returns to Node (structured-clone safe). */
export type CaseResult =
  | { ok: true; ms: number }
  | { ok: false; ms: number; name: string; message: string; stack: string };

/** The page's test API, set on `globalThis.__inferSuite` once the bundle ran. */
export interface PageSuite {
  list(): string[][];
  run(index: number, timeoutMs: number): Promise<CaseResult>;
}

/** Calls `define` with recording `describe`/`it` and returns every case in definition order. */
export function recordCases(define: (api: SuiteApi) => void, expect: ExpectStatic): RecordedCase[] {
  const cases: RecordedCase[] = [];
  const stack: string[] = [];
  define({
    describe(name, body) {
      stack.push(name);
      try {
        body();
      } finally {
        stack.pop();
      }
    },
    it(name, body, timeoutMs) {
      cases.push({ path: [...stack, name], body, timeoutMs });
    },
    expect,
  });
  return cases;
}

/** Runs one case with a deadline; never rejects. */
export async function runCase(recorded: RecordedCase, timeoutMs: number): Promise<CaseResult> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms in the page`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(recorded.body), deadline]);
    return { ok: true, ms: Date.now() - started };
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    return {
      ok: false,
      ms: Date.now() - started,
      name: failure.name,
      message: failure.message,
      stack: failure.stack ?? '',
    };
  } finally {
    clearTimeout(timer);
  }
}
