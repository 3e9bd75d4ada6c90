import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Logger } from '@infer/core';
import * as tf from '@tensorflow/tfjs';
import { TfjsBackendError } from './errors';
import { MODULE_FILE } from './module-file';

/** TF.js backends this runtime can pick, best first. */
export const TFJS_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/**
 * `tensorflow`: native libtensorflow through `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node` (installed by the user); `wasm`: `@tensorflow/tfjs-backend-wasm`
 * with its `.wasm` files read from disk; `cpu`: plain JavaScript, always there.
 */
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];

/** One backend that could not be used, and why. */
export interface TfjsBackendAttempt {
  backend: TfjsBackendName;
  reason: string;
}

/** The backend TF.js runs on in this thread, and what was tried before it. */
export interface TfjsBackendSelection {
  backend: TfjsBackendName;
  /** The package that provides it, e.g. `@tensorflow/tfjs-backend-wasm`. */
  provider: string;
  /** Backends tried before this one, in order, and why each failed. */
  failed: readonly TfjsBackendAttempt[];
}

/** Options of {@link selectTfjsBackend}. */
export interface SelectTfjsBackendOptions {
  /** Backend to use. Default: the best available (`tensorflow`, then `wasm`, then `cpu`). */
  backend?: TfjsBackendName | undefined;
  /** Fail instead of falling back when `backend` cannot be used. Default `false`. */
  strict?: boolean | undefined;
  /** Directory holding the `tfjs-backend-wasm*.wasm` files. Default: the installed package's `dist/`. */
  wasmPath?: string | undefined;
  /** Where the choice and any fallback are logged. Default: silent. */
  logger?: Logger | undefined;
}

const requireFromHere = createRequire(MODULE_FILE);

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

/** Whether an optional peer is installed where this package can see it. */
function installed(name: string): boolean {
  try {
    requireFromHere.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** The packages that provide the `tensorflow` backend, by preference. */
const NATIVE_PROVIDERS = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/**
 * Whether `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` is installed where this
 * package can see it: the `tensorflow` backend is then the one a model without `backend`
 * gets.
 *
 * @example
 * nativeBackendInstalled(); // false where only @tensorflow/tfjs (+ wasm) is installed
 */
export function nativeBackendInstalled(): boolean {
  return NATIVE_PROVIDERS.some(installed);
}

/**
 * Whether tfjs-node is installed but the selection fell back from it (none was asked for):
 * a broken install, which runs the model elsewhere than its defaults expect.
 *
 * @internal
 * @example
 * nativeFailed({ backend: 'wasm', provider, failed: [{ backend: 'tensorflow', reason }] }, true); // true
 */
export function nativeFailed(
  chosen: TfjsBackendSelection,
  installedNative = nativeBackendInstalled(),
): boolean {
  return (
    installedNative &&
    chosen.backend !== 'tensorflow' &&
    chosen.failed.some((attempt) => attempt.backend === 'tensorflow')
  );
}

/** A failure's first line, or `not installed` for a module that could not be found. */
function messageOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')) {
    return 'not installed';
  }
  return firstLine(error);
}

/** An error's first message line (a thrown non-error as it prints). */
function firstLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message.split('\n')[0] ?? error.message;
}

/** `tf.setBackend` reports failure by returning false (the cause goes to console.warn). */
async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed (TF.js logged the cause)`);
}

async function initTensorflow(): Promise<string> {
  const reasons: string[] = [];
  for (const provider of NATIVE_PROVIDERS) {
    if (!installed(provider)) {
      reasons.push(`${provider}: not installed`);
      continue;
    }
    try {
      await import(provider);
      await activate('tensorflow');
      return provider;
    } catch (error) {
      // Installed, so a missing module is one of its own dependencies: say which.
      reasons.push(`${provider}: ${firstLine(error)}`);
    }
  }
  throw new Error(reasons.join('; '));
}

async function initWasm(wasmPath: string | undefined): Promise<string> {
  const provider = '@tensorflow/tfjs-backend-wasm';
  let wasm: { setWasmPaths(prefix: string): void };
  if (!installed(provider)) throw new Error(`${provider}: not installed`);
  try {
    wasm = (await import(provider)) as typeof wasm;
  } catch (error) {
    throw new Error(`${provider}: ${messageOf(error)}`);
  }
  // Emscripten reads `prefix + file` with fs in Node: a directory path ending in a separator.
  const directory =
    wasmPath ?? join(dirname(requireFromHere.resolve(`${provider}/package.json`)), 'dist');
  const missing = WASM_FILES.filter((file) => !existsSync(join(directory, file)));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not found in ${directory}`);
  // setWasmPaths throws once the backend is initialised (e.g. by the user): keep theirs.
  const initialised = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  if (initialised.wasm === undefined) {
    wasm.setWasmPaths(directory.endsWith(sep) ? directory : `${directory}${sep}`);
  }
  await activate('wasm');
  return provider;
}

async function initCpu(): Promise<string> {
  await activate('cpu');
  return '@tensorflow/tfjs';
}

/** Each backend is initialised once per thread; a failure is remembered, as in onnxruntime. */
const initialised = new Map<TfjsBackendName, Promise<string>>();

function initialise(name: TfjsBackendName, wasmPath: string | undefined): Promise<string> {
  let pending = initialised.get(name);
  if (pending === undefined) {
    pending =
      name === 'tensorflow' ? initTensorflow() : name === 'wasm' ? initWasm(wasmPath) : initCpu();
    initialised.set(name, pending);
  }
  return pending;
}

let selection: Promise<TfjsBackendSelection> | undefined;

/**
 * The backends to try, in order: the one asked for (alone when strict) then the others, or
 * all of them by preference. In a worker thread, `tensorflow` is never a fallback for
 * another backend asked for: tfjs-node is not known to load in more than one thread
 * (tensorflow/tfjs#8388), and a model on wasm or cpu is served in a worker by default.
 *
 * @internal
 * @example
 * backendOrder('wasm', false, true); // ['wasm', 'cpu']
 */
export function backendOrder(
  wanted: TfjsBackendName | undefined,
  strict: boolean,
  inWorker: boolean,
): TfjsBackendName[] {
  if (wanted === undefined) return [...TFJS_BACKENDS];
  if (strict) return [wanted];
  const others = TFJS_BACKENDS.filter((b) => b !== wanted && !(inWorker && b === 'tensorflow'));
  return [wanted, ...others];
}

async function select(options: SelectTfjsBackendOptions): Promise<TfjsBackendSelection> {
  const wanted = options.backend;
  const order = backendOrder(wanted, options.strict === true, !isMainThread);
  const failed: TfjsBackendAttempt[] = [];
  for (const backend of order) {
    try {
      const provider = await initialise(backend, options.wasmPath);
      return { backend, provider, failed };
    } catch (error) {
      failed.push({ backend, reason: messageOf(error) });
    }
  }
  throw new TfjsBackendError(
    wanted !== undefined && options.strict
      ? `TF.js backend "${wanted}" is not available (options.strictBackend is set)`
      : 'No TF.js backend could be initialised',
    failed,
  );
}

/**
 * Picks and initialises the TF.js backend of this thread, once: the requested one, else the
 * best available (`tensorflow` via tfjs-node-gpu or tfjs-node, then `wasm`, then `cpu`).
 * TF.js has one active backend per thread, so later calls get the first choice; a later
 * model that asks for another backend gets a warning (or, with `strict`, an error) and
 * should run in worker threads instead. When a backend fails, one message lists every
 * backend tried and why.
 *
 * @example
 * const { backend, provider } = await selectTfjsBackend({ backend: 'wasm' });
 */
export async function selectTfjsBackend(
  options: SelectTfjsBackendOptions = {},
): Promise<TfjsBackendSelection> {
  const first = selection === undefined;
  if (first) {
    selection = select(options);
    selection.catch(() => {
      selection = undefined;
    });
  }
  const chosen = await (selection as Promise<TfjsBackendSelection>);
  const log = options.logger;
  const wanted = options.backend;
  if (first) {
    const tried = chosen.failed.map((a) => `${a.backend}: ${a.reason}`).join('; ');
    if (wanted !== undefined && chosen.backend !== wanted) {
      log?.warn(
        { backend: chosen.backend, provider: chosen.provider, tried: chosen.failed },
        `TF.js backend "${wanted}" is not available, using "${chosen.backend}" (${tried})`,
      );
    } else if (nativeFailed(chosen)) {
      log?.warn(
        { backend: chosen.backend, provider: chosen.provider, tried: chosen.failed },
        `TF.js backend "tensorflow" is installed but could not be used, using "${chosen.backend}" (${tried})`,
      );
    } else {
      log?.info(
        { backend: chosen.backend, provider: chosen.provider, tried: chosen.failed },
        `TF.js backend: ${chosen.backend} (${chosen.provider})`,
      );
    }
  } else if (wanted !== undefined && chosen.backend !== wanted) {
    const reason = `this thread already runs TF.js on "${chosen.backend}"; TF.js has one backend per thread (use workers to run models on different backends)`;
    if (options.strict) {
      throw new TfjsBackendError(`TF.js backend "${wanted}" is not available`, [
        { backend: wanted, reason },
      ]);
    }
    log?.warn(
      { backend: chosen.backend, requested: wanted },
      `TF.js backend "${wanted}" not used: ${reason}`,
    );
  }
  return chosen;
}
