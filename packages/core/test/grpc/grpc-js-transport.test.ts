/**
 * The gRPC conformance suites again, on the grpc-js transport (what `serveGrpc` uses with TLS
 * credentials): every RPC, every datatype, every error code, health and reflection, and the
 * fuzz test. The fixture reads the variable when each suite's `beforeAll` starts it.
 */
export {};

process.env.INFER_TEST_GRPC_TRANSPORT = 'grpc-js';

await import('./rpcs.test');
await import('./tensors.test');
await import('./errors.test');
await import('./health-reflection.test');
await import('./fuzz.test');
