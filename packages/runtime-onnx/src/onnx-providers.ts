import ort, { type InferenceSession } from 'onnxruntime-node';

/**
 * The execution providers this runtime knows by name.
 *
 * @example
 * EXECUTION_PROVIDERS.includes('cuda'); // true
 */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'] as const;

/** An execution provider name: `'cpu'` (default), `'cuda'`, `'tensorrt'`, `'webgpu'`, `'dml'`, `'coreml'`. */
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];

/**
 * An execution provider: a name, or ORT's provider object with its options
 * (`{ name: 'cuda', deviceId: 1 }`, `{ name: 'webgpu', preferredLayout: 'NHWC' }`).
 */
export type ExecutionProvider =
  | ExecutionProviderName
  | ({ name: ExecutionProviderName } & Record<string, unknown>);

/** Why one requested provider was not used. */
export interface SkippedProvider {
  name: string;
  reason: string;
}

/** A session and the provider it runs on. */
export interface CreatedSession {
  session: InferenceSession;
  /** The provider the session was created with: the first requested one that loaded. */
  provider: string;
  /** Requested providers that could not be used, in order, with the reason. */
  skipped: SkippedProvider[];
}

/** The name of a provider entry. */
export function providerName(provider: ExecutionProvider): string {
  return typeof provider === 'string' ? provider : provider.name;
}

/**
 * The providers this onnxruntime-node build lists (`listSupportedBackends()`); `bundled: false`
 * ones (cuda, tensorrt on Linux x64) also need their shared libraries, installed with
 * `ONNXRUNTIME_NODE_INSTALL=cuda12`, which only creating a session can tell.
 *
 * @example
 * supportedProviders(); // [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }, ...]
 */
export function supportedProviders(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends();
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}

function hint(name: string): string {
  if (name === 'cuda' || name === 'tensorrt') {
    return ' (install the CUDA binaries: ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node, with CUDA 12 and cuDNN 9 on the machine)';
  }
  return '';
}

/** Thrown when no requested provider works and falling back to cpu is not allowed. */
export class ProvidersUnavailableError extends Error {
  readonly skipped: readonly SkippedProvider[];
  constructor(skipped: readonly SkippedProvider[]) {
    const list = skipped.map((entry) => `${entry.name}: ${entry.reason}`).join('; ');
    super(`no requested execution provider is available (${list}) and strictProviders is set`);
    this.name = 'ProvidersUnavailableError';
    this.skipped = skipped;
  }
}

/**
 * Creates a session on the first requested provider that works, trying each in order with
 * `cpu` after it (for the nodes a GPU provider does not take). A provider missing from this
 * build or failing to start is skipped with its reason; when none works the session runs on
 * `cpu`, unless `cpuFallback` is false and `cpu` was not requested
 * (`ProvidersUnavailableError`). The model's own load errors (bad file) are thrown as they are.
 *
 * @internal
 * @example
 * const { session, provider, skipped } = await createSession('model.onnx', { intraOpNumThreads: 1 }, ['cuda'], { cpuFallback: true });
 */
export async function createSession(
  source: string | Uint8Array,
  sessionOptions: InferenceSession.SessionOptions,
  providers: readonly ExecutionProvider[],
  options: { cpuFallback: boolean },
): Promise<CreatedSession> {
  const listed = new Set(supportedProviders().map((backend) => backend.name));
  const skipped: SkippedProvider[] = [];
  const create = (list: ExecutionProvider[]) => {
    const options = { ...sessionOptions, executionProviders: list };
    return typeof source === 'string'
      ? ort.InferenceSession.create(source, options)
      : ort.InferenceSession.create(source, options);
  };

  for (const provider of providers) {
    const name = providerName(provider);
    if (name === 'cpu') break;
    if (!listed.has(name)) {
      skipped.push({
        name,
        reason: `not in this onnxruntime-node build (it has ${[...listed].join(', ')})${hint(name)}`,
      });
      continue;
    }
    try {
      return { session: await create([provider, 'cpu']), provider: name, skipped };
    } catch (error) {
      skipped.push({ name, reason: `${firstLine(error)}${hint(name)}` });
    }
  }
  const cpuRequested = providers.some((provider) => providerName(provider) === 'cpu');
  if (!cpuRequested && !options.cpuFallback) throw new ProvidersUnavailableError(skipped);
  return { session: await create(['cpu']), provider: 'cpu', skipped };
}
