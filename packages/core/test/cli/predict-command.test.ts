/**
 * `infer predict <dir>` in a process of its own, on a model that never answers: the
 * request's timeout must be reported (and the exit code say so) rather than the process
 * exiting silently with 0, or waiting for the hung batch to finish.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, fixtureRoot, runCliProcess, writeModelSettings } from './cli-process';

let root: string;
beforeAll(() => {
  assertBuilt();
  root = fixtureRoot('infer-predict-', 'echo-runtime.mjs');
  writeModelSettings(root, 'hung', {
    name: 'hung',
    runtime: '../echo-runtime.mjs',
    timeoutMs: 300,
    parameters: { hang: true },
  });
  // Its predict awaits a 60 s timer (which keeps a process alive) whatever its signal says.
  writeModelSettings(root, 'slow', {
    name: 'slow',
    runtime: '../echo-runtime.mjs',
    timeoutMs: 300,
    batching: false,
    parameters: { delayMs: 60_000 },
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('infer predict on a model that never answers', () => {
  it('reports the timeout and exits 1', async () => {
    const started = performance.now();
    const result = await runCliProcess(['predict', join(root, 'hung'), '--input', 'x=[[1,2]]'], {
      timeoutMs: 20_000,
    });
    expect(result.stderr).toMatch(/timed out after 300 ms/);
    expect(result.code).toBe(1);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('exits soon after the timeout though the model still holds a timer', async () => {
    const started = performance.now();
    const result = await runCliProcess(['predict', join(root, 'slow'), '--input', 'x=[[1,2]]'], {
      timeoutMs: 30_000,
    });
    expect(result.stderr).toMatch(/timed out after 300 ms/);
    expect(result.code).toBe(1);
    // The timeout, then about 1 s (the CLI's exit timer), not the model's 60 s.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
