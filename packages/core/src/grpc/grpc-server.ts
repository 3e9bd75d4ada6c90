import type * as GrpcJs from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import { GRPC_PROTO_OPTIONS } from '@infer/codecs';
import { InvalidOptionError } from '../errors';
import type { InferenceService } from '../inference-service';
import { setStreamWindow } from './flow-control';
import { createGrpcHandlers } from './grpc-handlers';
import { type GrpcModules, inferenceProtoPath, loadGrpcModules } from './grpc-modules';
import {
  type GrpcServerOptions,
  type ResolvedGrpcServerOptions,
  resolveGrpcServerOptions,
} from './grpc-server-options';
import { addHealthService, INFERENCE_SERVICE_NAME } from './health-service';
import { tolerateMalformedRequests } from './malformed-message';
import { withModelInferParts } from './model-infer-parts';

/**
 * The proto-loader options the server and the generated types (`src/grpc/generated/`,
 * `pnpm --filter @infer/core generate:grpc`) agree on: field names as in the proto, 64-bit
 * integers as decimal strings (no precision loss), empty repeated fields as `[]`, and the
 * `parameter_choice` oneof name set.
 *
 * @example
 * const definition = protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS);
 */
export const GRPC_LOADER_OPTIONS: ProtoLoader.Options = GRPC_PROTO_OPTIONS;

const definitions = new WeakMap<GrpcModules, ProtoLoader.PackageDefinition>();

/** The package definition of the OIP proto (and the health proto when installed), cached. */
function packageDefinition(modules: GrpcModules): ProtoLoader.PackageDefinition {
  let definition = definitions.get(modules);
  if (definition === undefined) {
    const files = [inferenceProtoPath()];
    if (modules.health) files.push(modules.health.protoPath);
    definition = modules.protoLoader.loadSync(files, GRPC_LOADER_OPTIONS);
    definitions.set(modules, definition);
  }
  return definition;
}

/** What adding the services needs of a server: grpc-js's or the h2c one. */
type ServiceHost = Pick<GrpcJs.Server, 'addService'>;

/** @internal Adds the OIP service, health and reflection (as configured) to `server`. */
export function addServices(
  server: ServiceHost,
  service: InferenceService,
  modules: GrpcModules,
  options: Pick<ResolvedGrpcServerOptions, 'health' | 'reflection' | 'logger'>,
): void {
  const definition = packageDefinition(modules);
  // Bytes that are not a protobuf message: INVALID_ARGUMENT from our handlers, not INTERNAL.
  server.addService(
    withModelInferParts(
      tolerateMalformedRequests(definition[INFERENCE_SERVICE_NAME] as GrpcJs.ServiceDefinition),
    ),
    createGrpcHandlers(service, modules.grpc),
  );
  if (options.health !== false) {
    if (modules.health) addHealthService(server, modules.health, service);
    else if (options.health === true) {
      throw new InvalidOptionError(
        'options.health',
        'needs the package grpc-health-check (not installed)',
      );
    } else options.logger.warn({}, 'gRPC health service off: grpc-health-check is not installed');
  }
  if (options.reflection !== false) {
    if (modules.reflection)
      new modules.reflection.ReflectionService(definition).addToServer(server as GrpcJs.Server);
    else if (options.reflection === true) {
      throw new InvalidOptionError(
        'options.reflection',
        'needs the package @grpc/reflection (not installed)',
      );
    } else options.logger.warn({}, 'gRPC reflection off: @grpc/reflection is not installed');
  }
}

/**
 * Adds the OIP `GRPCInferenceService` over `service` to your own grpc-js server, with
 * health and reflection as in {@link createGrpcServer}. Use it to serve @infer beside your
 * own gRPC services; set the server's message size limits yourself (grpc-js defaults to
 * 4 MiB received).
 *
 * @example
 * const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
 * await addInferenceService(server, service);
 * server.addService(MyService.service, myHandlers);
 */
export async function addInferenceService(
  server: GrpcJs.Server,
  service: InferenceService,
  options: Pick<GrpcServerOptions, 'health' | 'reflection' | 'logger'> = {},
): Promise<void> {
  const resolved = resolveGrpcServerOptions(options);
  addServices(server, service, await loadGrpcModules(), resolved);
}

/**
 * A grpc-js server (not yet bound) serving the OIP `GRPCInferenceService` over `service`
 * (the same repository, batcher and worker pool as REST), `grpc.health.v1.Health` and
 * server reflection, with message limits set. Loads the optional gRPC packages on first
 * use; rejects with `INFER_ERR_INVALID_OPTION` naming them when they are missing.
 *
 * @example
 * const server = await createGrpcServer(service, { maxMessageBytes: 16 * 1024 * 1024 });
 * server.bindAsync('0.0.0.0:8081', grpc.ServerCredentials.createInsecure(), () => {});
 */
export async function createGrpcServer(
  service: InferenceService,
  options: GrpcServerOptions = {},
): Promise<GrpcJs.Server> {
  const resolved = resolveGrpcServerOptions(options);
  const modules = await loadGrpcModules();
  const server = new modules.grpc.Server({
    'grpc.max_receive_message_length': resolved.maxMessageBytes,
    'grpc.max_send_message_length': resolved.maxMessageBytes,
    'grpc.keepalive_time_ms': resolved.keepalive.timeMs,
    'grpc.keepalive_timeout_ms': resolved.keepalive.timeoutMs,
    ...resolved.serverOptions,
  });
  addServices(server, service, modules, resolved);
  if (resolved.flowControlWindowBytes > 0) {
    if (!setStreamWindow(server, resolved.flowControlWindowBytes)) {
      resolved.logger.warn(
        { flowControlWindowBytes: resolved.flowControlWindowBytes },
        'this @grpc/grpc-js version does not expose its HTTP/2 settings: the gRPC flow-control window stays at 64 KiB',
      );
    }
  }
  return server;
}
