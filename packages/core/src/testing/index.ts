export { OIP_REST_SCHEMAS, type OipSchemaName } from './oip-rest-schemas';
export { createOipValidator, type OipValidator } from './oip-validator';
export {
  ADAPTER_CONFORMANCE_TESTS,
  type AdapterConformanceOptions,
  type AdapterConformanceTest,
  type ConformanceContext,
  type ConformanceServer,
  runAdapterConformance,
} from './run-adapter-conformance';
