/**
 * `@grpc/grpc-js` and `@grpc/proto-loader` are optional peer dependencies of @infer/client:
 * only `@infer/client/grpc` loads them, on the first call, so REST and browser users install
 * nothing and a browser bundle never sees them.
 *
 * @internal
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as GrpcJs from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import { GRPC_PROTO_OPTIONS } from '@infer/codecs';
import { InferClientError } from '../errors';
import type { GRPCInferenceServiceClient } from './generated/inference/GRPCInferenceService';
import type { ProtoGrpcType } from './generated/open_inference_grpc';

/** The loaded gRPC libraries and the OIP service's client constructor. */
export interface GrpcModules {
  grpc: typeof GrpcJs;
  /** `inference.GRPCInferenceService` built from the shipped proto. */
  Service: new (
    address: string,
    credentials: GrpcJs.ChannelCredentials,
    options?: GrpcJs.ChannelOptions,
  ) => GRPCInferenceServiceClient;
}

/** How each package is imported; each returns the module namespace. */
export type GrpcImporters = Record<'grpc' | 'protoLoader', () => Promise<unknown>>;

/**
 * How each package is imported (a seam for the missing-package test).
 *
 * @internal
 */
export const GRPC_IMPORTERS: Readonly<GrpcImporters> = Object.freeze({
  grpc: () => import('@grpc/grpc-js'),
  protoLoader: () => import('@grpc/proto-loader'),
});

/**
 * The proto-loader options the generated types (`src/grpc/generated/`, `pnpm --filter
 * @infer/client generate:grpc`) are made with: field names as in the proto, 64-bit integers
 * as decimal strings (no precision loss), empty repeated fields as `[]`, oneof names set.
 *
 * @internal
 */
export const GRPC_LOADER_OPTIONS: ProtoLoader.Options = GRPC_PROTO_OPTIONS;

const INSTALL = 'npm install @grpc/grpc-js @grpc/proto-loader';

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

let loading: Promise<GrpcModules> | undefined;

/**
 * Loads the gRPC libraries and the OIP proto (once, with the default importers). Rejects
 * with `INFER_CLIENT_ERR_INVALID_OPTION` naming the missing packages and the install
 * command when one is missing.
 *
 * @internal
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
  const [grpc, protoLoader] = await Promise.all([
    optional<typeof GrpcJs>(importers.grpc),
    optional<typeof ProtoLoader>(importers.protoLoader),
  ]);
  if (grpc === undefined || protoLoader === undefined) {
    const missing = [
      grpc === undefined ? '@grpc/grpc-js' : undefined,
      protoLoader === undefined ? '@grpc/proto-loader' : undefined,
    ].filter((name) => name !== undefined);
    throw new InferClientError(
      'INFER_CLIENT_ERR_INVALID_OPTION',
      `@infer/client/grpc needs the optional peer dependencies ${missing.join(' and ')} (not installed); run: ${INSTALL}`,
    );
  }
  const definition = protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS);
  const proto = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return { grpc, Service: proto.inference.GRPCInferenceService };
}

const HERE = dirname(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));
const PROTO = 'open_inference_grpc.proto';

/**
 * The absolute path of the OIP gRPC proto shipped in @infer/client (`<package>/proto/`),
 * found by walking up from this module (it runs from `src/grpc/`, `dist/grpc/` or a `dist/`
 * chunk) and stopping at the package root.
 *
 * @example
 * protoLoader.loadSync(inferenceProtoPath());
 */
export function inferenceProtoPath(): string {
  for (let dir = HERE; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto', PROTO);
    if (existsSync(candidate)) return candidate;
    // Stop at the package root: never pick up a proto of the application above it.
    if (existsSync(join(dir, 'package.json')) || dirname(dir) === dir) break;
  }
  throw new Error(`@infer/client: ${PROTO} not found above ${HERE}; is the package complete?`);
}
