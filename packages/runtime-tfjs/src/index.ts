export { TfjsBackendError } from './errors';
export {
  nativeBackendInstalled,
  type SelectTfjsBackendOptions,
  selectTfjsBackend,
  TFJS_BACKENDS,
  type TfjsBackendAttempt,
  type TfjsBackendName,
  type TfjsBackendSelection,
} from './tfjs-backend';
export {
  dtypeOfTensorflowEnum,
  fromTfjsTensor,
  OIP_TO_TFJS,
  oipDatatypeOf,
  TFJS_TO_OIP,
  type TfjsDatatype,
  toTfjsTensor,
} from './tfjs-datatypes';
export {
  detectModelFormat,
  fileIOHandler,
  readModelJson,
  readWeights,
  type TfjsModelFormat,
  type TfjsModelJsonFile,
} from './tfjs-io-file';
export { TfjsModel } from './tfjs-model';
export {
  defaultTfjsWorkers,
  TFJS_MODEL_DEFAULTS,
  type TfjsModelOptions,
  WARMUP_DYNAMIC_SIZE,
} from './tfjs-model-options';
export { createTfjsModel, default } from './tfjs-plugin';
export { VERSION } from './version';
