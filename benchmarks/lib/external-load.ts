/**
 * Runs a load generator that is a separate program (wrk, h2load) and measures while it runs:
 * its stdout once it has closed, the body it sends in a temporary file, and a callback that
 * samples CPU during the run. Shared by `wrk-load.ts` and `h2load-load.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes `body` to a file in a fresh temporary directory, runs `use` with its path and
 * removes the directory afterwards.
 *
 * @example
 * await withBodyFile(body, (path) => runTool('wrk', ['-s', script, url]));
 */
export async function withBodyFile<T>(
  body: Uint8Array,
  use: (path: string, dir: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'infer-load-'));
  try {
    const path = join(dir, 'body.bin');
    writeFileSync(path, body);
    return await use(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `command`; while it runs, `during(pid)` (if given) measures. Resolves with the full
 * stdout (read after the streams close, not at `exit`) and `during`'s result. Rejects with
 * the tool's stderr when it fails or exits before `during` is done; the tool is killed when
 * `during` fails.
 *
 * @example
 * const { stdout, measured } = await runTool('h2load', args, async (pid) => sampleCpu(pid));
 */
export async function runTool<T>(
  command: string,
  args: string[],
  during?: (pid: number) => Promise<T>,
): Promise<{ stdout: string; measured: T | undefined }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const failure = (code: number | null) =>
    new Error(`${command} exited with ${code}: ${(stderr.trim() || stdout.trim()).slice(0, 2000)}`);
  let measured: T | undefined;
  if (during !== undefined) {
    const early = closed.then((code) => {
      throw code === 0 ? new Error(`${command} ended before the measurement did`) : failure(code);
    });
    early.catch(() => {});
    try {
      measured = await Promise.race([during(child.pid!), early]);
    } catch (error) {
      child.kill();
      await closed.catch(() => {});
      throw error;
    }
  }
  const code = await closed;
  if (code !== 0) throw failure(code);
  return { stdout, measured };
}
