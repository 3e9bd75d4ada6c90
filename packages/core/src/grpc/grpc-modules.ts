/**
 * The gRPC libraries are optional peer dependencies of @infer/core: loaded here, once, the
 * first time gRPC is used, so REST-only users install nothing. `@grpc/grpc-js` and
 * `@grpc/proto-loader` are required for gRPC; `@grpc/reflection` and `grpc-health-check`
 * add server reflection and `grpc.health.v1.Health` when installed.
 *
 * @internal
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as GrpcJs from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import type * as Reflection from '@grpc/reflection';
import type * as HealthCheck from 'grpc-health-check';
import { InvalidOptionError } from '../errors';

/** The loaded gRPC libraries. */
export interface GrpcModules {
  grpc: typeof GrpcJs;
  protoLoader: typeof ProtoLoader;
  /** `@grpc/reflection`, when installed. */
  reflection: typeof Reflection | undefined;
  /** `grpc-health-check`, when installed. */
  health: typeof HealthCheck | undefined;
}

const INSTALL = 'npm install @grpc/grpc-js @grpc/proto-loader @grpc/reflection grpc-health-check';

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** The CommonJS exports of a dynamically imported package (`default` under ESM). */
function exportsOf<T>(namespace: unknown): T {
  const candidate = namespace as { default?: unknown };
  return (
    candidate.default !== undefined && typeof candidate.default === 'object'
      ? candidate.default
      : namespace
  ) as T;
}

async function optional<T>(load: () => Promise<unknown>): Promise<T | undefined> {
  try {
    return exportsOf<T>(await load());
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** How each package is imported; each returns the module namespace. */
export type GrpcImporters = Record<
  'grpc' | 'protoLoader' | 'reflection' | 'health',
  () => Promise<unknown>
>;

/**
 * How each package is imported (a seam for the missing-package test).
 *
 * @internal
 */
export const GRPC_IMPORTERS: Readonly<GrpcImporters> = Object.freeze({
  grpc: () => import('@grpc/grpc-js'),
  protoLoader: () => import('@grpc/proto-loader'),
  reflection: () => import('@grpc/reflection'),
  health: () => import('grpc-health-check'),
});

let loading: Promise<GrpcModules> | undefined;

/**
 * Loads the gRPC libraries (once, with the default importers). Rejects with
 * `InvalidOptionError` (`INFER_ERR_INVALID_OPTION`) naming the missing packages and the
 * install command when a required one is missing.
 *
 * @internal
 * @example
 * const { grpc, protoLoader } = await loadGrpcModules();
 */
export function loadGrpcModules(
  importers: Readonly<GrpcImporters> = GRPC_IMPORTERS,
): Promise<GrpcModules> {
  if (importers !== GRPC_IMPORTERS) return importModules(importers);
  loading ??= importModules(importers);
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

async function importModules(importers: Readonly<GrpcImporters>): Promise<GrpcModules> {
  const [grpc, protoLoader, reflection, health] = await Promise.all([
    optional<typeof GrpcJs>(importers.grpc),
    optional<typeof ProtoLoader>(importers.protoLoader),
    optional<typeof Reflection>(importers.reflection),
    optional<typeof HealthCheck>(importers.health),
  ]);
  if (grpc === undefined || protoLoader === undefined) {
    const missing = [
      grpc === undefined ? '@grpc/grpc-js' : undefined,
      protoLoader === undefined ? '@grpc/proto-loader' : undefined,
    ].filter((name) => name !== undefined);
    throw new InvalidOptionError(
      'grpc',
      `needs the optional peer dependencies of @infer/core ${missing.join(' and ')} (not installed); run: ${INSTALL}`,
    );
  }
  return { grpc, protoLoader, reflection, health };
}

const HERE = dirname(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));
const PROTO = 'open_inference_grpc.proto';

let protoFile: string | undefined;

/**
 * The absolute path of the OIP gRPC proto shipped in @infer/core (`<package>/proto/`), found
 * by walking up from this module (it runs from `src/grpc/`, `dist/grpc/` or a `dist/` chunk).
 *
 * @example
 * protoLoader.loadSync(inferenceProtoPath());
 */
export function inferenceProtoPath(): string {
  if (protoFile !== undefined) return protoFile;
  for (let dir = HERE; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto', PROTO);
    if (existsSync(candidate)) {
      protoFile = candidate;
      return candidate;
    }
    // Stop at the package root: never pick up a proto of the application above it.
    if (existsSync(join(dir, 'package.json')) || dirname(dir) === dir) break;
  }
  throw new Error(`@infer/core: ${PROTO} not found above ${HERE}; is the package complete?`);
}
