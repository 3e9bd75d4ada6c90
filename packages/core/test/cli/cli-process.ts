import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bin (`pnpm build` makes it; `npm test` builds first). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * A new temporary folder (its name starting with `prefix`) holding a copy of the test runtime
 * `fixture` (a file of `test/cli/fixtures/`), for model settings to name as `runtime`.
 */
export function fixtureRoot(prefix: string, fixture: string): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  copyFileSync(join(REPO_ROOT, 'packages/core/test/cli/fixtures', fixture), join(root, fixture));
  return root;
}

/** Writes `root/dir/model-settings.json` (folders made as needed); returns `root/dir`. */
export function writeModelSettings(root: string, dir: string, settings: object): string {
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, dir, 'model-settings.json'), JSON.stringify(settings));
  return join(root, dir);
}

export function assertBuilt(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run \`pnpm build\` first (npm test does it)`);
  }
}

/** A running `infer` child process with its output so far. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  /** Resolves with the first match of `pattern` in stdout, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Starts `node dist/cli.js ...args` in `cwd` with `env` added to a clean environment. */
export function startCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = () => {
          const match = out.match(pattern);
          if (match) return resolve(match);
          if (child.exitCode !== null) {
            return reject(
              new Error(
                `infer exited (${child.exitCode}) before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`,
              ),
            );
          }
          if (Date.now() - started > timeoutMs) {
            return reject(
              new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`),
            );
          }
          setTimeout(poll, 50);
        };
        poll();
      });
    },
  };
}

/** Runs `infer ...args` to completion. */
export async function runCliProcess(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const cli = startCli(args, options);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await cli.exited;
  clearTimeout(timer);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
