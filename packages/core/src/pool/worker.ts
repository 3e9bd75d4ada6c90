/**
 * The worker-thread entry of `WorkerPool` (built to `dist/pool/worker.js`; Piscina loads it
 * in each thread). At thread start it imports the runtime module named in `workerData`,
 * creates the model and loads it once; Piscina awaits the default export (a promise of the
 * task handler) before it marks the thread ready, so a replacement thread takes no task
 * before its model is loaded. A load failure does not kill the thread: every task answers
 * with the load error and this thread's id instead, and the pool decides: it replaces the
 * thread (a replacement after a crash may fail transiently) or, after repeated failures,
 * fails for good, rather than Piscina respawning forever.
 *
 * @internal
 */
import { threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { asModelV1 } from '../as-model-v1';
import { RuntimeNotFoundError, UnsupportedSpecVersionError } from '../errors';
import type { ModelMetadataV1, ModelV1, PredictResult, RuntimePluginV1 } from '../spec';
import { packTensors } from './tensor-transfer';
import {
  type ErrorReply,
  type LoadWarning,
  type PredictTask,
  serializeError,
  type WorkerBootData,
  type WorkerReply,
  type WorkerTask,
} from './worker-protocol';

interface Loaded {
  model: ModelV1;
  metadata: ModelMetadataV1;
  warnings: LoadWarning[];
}

/** Warnings printed by the thread itself, not sent to the main thread. */
const LOCAL_WARNINGS = new Set(['DeprecationWarning', 'ExperimentalWarning']);

/** While a load holds warnings back: prints them, for a thread that dies before it answers. */
let printHeld: (() => void) | undefined;
process.once('exit', () => printHeld?.());

const boot = workerData as WorkerBootData;
const loading: Promise<Loaded> = load(boot);
// Handled by every task; keeps an early failure from being an unhandled rejection.
loading.catch(() => {});

async function load(data: WorkerBootData): Promise<Loaded> {
  // While the model loads, this thread's warnings go to the main thread (with the reply to
  // the pool's load task, or a replacement thread's first result), which emits each once for
  // the pool; this thread's 'warning' listeners (Node's printer, any a preload added) are set
  // aside meanwhile so none prints twice. Deprecation and experimental warnings still print
  // here: Node shows each once per thread. A load that fails, or a thread that dies while
  // loading, prints its own.
  const printers = process.listeners('warning');
  for (const printer of printers) process.off('warning', printer);
  const held: Error[] = [];
  const print = (warning: Error) => {
    for (const printer of printers) printer.call(process, warning);
  };
  const onWarning = (warning: Error) => {
    if (LOCAL_WARNINGS.has(warning.name)) print(warning);
    else held.push(warning);
  };
  process.on('warning', onWarning);
  printHeld = () => {
    for (const warning of held) print(warning);
  };
  let loaded: Omit<Loaded, 'warnings'> | undefined;
  try {
    const plugin = await importPlugin(data);
    const model = asModelV1(await plugin.create(data.settings as never), 'plugin.create()');
    await model.load();
    loaded = { model, metadata: model.metadata() };
  } finally {
    // `process.emitWarning` emits on a later tick: let the last ones arrive.
    await new Promise((resolve) => setImmediate(resolve));
    printHeld = undefined;
    process.off('warning', onWarning);
    for (const printer of printers) process.on('warning', printer);
    // No loaded reply carries them: print them here.
    if (loaded === undefined) for (const warning of held) print(warning);
  }
  // Set: the `try` either set it or threw.
  return { ...(loaded as Omit<Loaded, 'warnings'>), warnings: held.map(loadWarning) };
}

function loadWarning(warning: Error & { code?: unknown; detail?: unknown }): LoadWarning {
  const { name, message, code, detail, stack } = warning;
  return {
    name,
    message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof detail === 'string' ? { detail } : {}),
    ...(typeof stack === 'string' ? { stack } : {}),
  };
}

/** Whether this thread's load warnings went to the main thread (with a reply) yet. */
let warningsSent = false;

/** The load warnings for the next reply: once per thread. */
function takeWarnings(loaded: Loaded): LoadWarning[] | undefined {
  if (warningsSent || loaded.warnings.length === 0) return undefined;
  warningsSent = true;
  return loaded.warnings;
}

async function importPlugin({ moduleUrl, exportName }: WorkerBootData): Promise<RuntimePluginV1> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new RuntimeNotFoundError({
      runtime: moduleUrl,
      tried: [{ name: moduleUrl, reason: messageOf(error) }],
      cause: error,
    });
  }
  const exported = namespace[exportName];
  // A CommonJS module imported from ESM nests its `default` export one level down.
  const nested = (exported as { default?: unknown } | undefined)?.default;
  for (const candidate of exportName === 'default' ? [exported, nested] : [exported]) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const version = (candidate as { specificationVersion?: unknown }).specificationVersion;
    if (version === undefined) continue;
    if (version !== 'v1') {
      throw new UnsupportedSpecVersionError({ specificationVersion: version, what: 'runtime' });
    }
    if (typeof (candidate as { create?: unknown }).create === 'function') {
      return candidate as RuntimePluginV1;
    }
  }
  throw new RuntimeNotFoundError({
    runtime: moduleUrl,
    tried: [
      {
        name: `${moduleUrl}#${exportName}`,
        reason: `export "${exportName}" is not a RuntimePluginV1 ({ specificationVersion: "v1", create })`,
      },
    ],
  });
}

async function handle(task: WorkerTask): Promise<unknown> {
  let loaded: Loaded;
  try {
    loaded = await loading;
  } catch (error) {
    return loadFailedReply(task, error);
  }
  if (task.kind === 'load') {
    return {
      kind: 'loaded',
      threadId,
      metadata: loaded.metadata,
      warnings: takeWarnings(loaded) ?? [],
    } satisfies WorkerReply;
  }
  return predict(loaded, task);
}

/**
 * Runs `predict()` and packs its result for the main thread. Anything that fails here,
 * packing included, answers an error reply: a throw past this point (or a reply
 * `postMessage` cannot clone) would kill the thread and read as a crash.
 */
async function predict(loaded: Loaded, task: PredictTask): Promise<unknown> {
  try {
    const result: PredictResult = await loaded.model.predict(task.request);
    if (typeof result !== 'object' || result === null || !Array.isArray(result.outputs)) {
      throw new TypeError('predict() must return { outputs: Tensor[] }');
    }
    assertSendable(result.parameters, 'result parameters');
    for (const output of result.outputs) {
      assertSendable(output?.parameters, `parameters of output "${output?.name}"`);
    }
    const { tensors, transferList } = packTensors(result.outputs, boot.transferOutputs);
    const reply: WorkerReply = { kind: 'result', outputs: tensors };
    if (result.parameters !== undefined) reply.parameters = result.parameters;
    const warnings = takeWarnings(loaded);
    if (warnings !== undefined) reply.warnings = warnings;
    return move({ [transferableSymbol]: transferList, [valueSymbol]: reply } as never);
  } catch (error) {
    return errorReply('predict', error);
  }
}

/**
 * Throws a `TypeError` naming `what` when `value` cannot be structured-cloned (a function,
 * a class instance with private state): cloning the small parameters objects here costs
 * little, while `postMessage` failing on them inside Piscina would kill the thread.
 */
function assertSendable(value: unknown, what: string): void {
  if (value === undefined) return;
  try {
    structuredClone(value);
  } catch (error) {
    throw new TypeError(`${what} cannot be sent to the main thread: ${messageOf(error)}`);
  }
}

/**
 * The load error, with this thread's id (the pool replaces the thread) and a predict task's
 * inputs moved back: they were transferred here, and the pool sends the task again.
 */
function loadFailedReply(task: WorkerTask, error: unknown): unknown {
  const reply: ErrorReply = { ...errorReply('load', error), threadId };
  if (task.kind !== 'predict') return reply;
  const { tensors, transferList } = packTensors(task.request.inputs, true);
  reply.inputs = tensors;
  return move({ [transferableSymbol]: transferList, [valueSymbol]: reply } as never);
}

function errorReply(phase: ErrorReply['phase'], error: unknown): ErrorReply {
  return { kind: 'error', phase, error: serializeError(error) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Piscina awaits this before the thread takes tasks: the model is loaded (or failed) by then. */
export default loading.then(
  () => handle,
  () => handle,
);
