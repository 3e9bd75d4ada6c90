export { decodeBase64, encodeBase64 } from './base64';
export { base64Codec } from './base64-codec';
export { BINARY_CONTENT_TYPE, BINARY_HEADER, concatBytes } from './binary-extension';
export { booleanParameter } from './check-parameters';
export { checkInferenceRequest } from './check-request';
export { getCodec, listCodecs, registerCodec } from './codec-registry';
export type { ContentTypeCodec } from './content-type-codec';
export {
  createTypedArray,
  DATATYPE_SIZES,
  datatypeOf,
  elementSize,
  type FixedSizeDatatype,
  isDatatype,
  type TypedArrayConstructor,
  typedArrayConstructor,
} from './datatypes';
export {
  checkImageOptions,
  DEFAULT_MAX_PIXELS,
  type DecodeImageOptions,
  decodeImage,
} from './decode-image';
export { dataFromValues } from './decode-json-elements';
export { type DecodeRequestOptions, decodeRequest } from './decode-request';
export { describeValue } from './describe-value';
export { elementCount, formatShape } from './element-count';
export { type EncodeResponseOptions, encodeResponse } from './encode-response';
export { CodecError, type CodecErrorOptions } from './errors';
export {
  bfloat16sToFloat32,
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToBfloat16s,
  float32ToFloat16,
  float32ToHalves,
  halvesToFloat32,
} from './float16';
export {
  decodeGrpcTensor,
  decodeInferParameters,
  encodeInferParameters,
  type GrpcInferParameter,
  type GrpcInferParameterValue,
  type GrpcTensor,
  type GrpcTensorContents,
  hasContentsField,
  hasTensorContents,
  tensorContentsToData,
  tensorDataToContents,
} from './grpc-contents';
export {
  GRPC_PROTO_OPTIONS,
  GRPC_STATUS,
  type GrpcStatusName,
  grpcStatusName,
} from './grpc-status';
export { createImageCodec, imgCodec } from './img-codec';
export {
  type DecodeBodyOptions,
  decodeInferenceRequest,
  type EncodedBody,
  encodeInferenceRequest,
} from './inference-request';
export {
  decodeInferenceResponse,
  type EncodedBodyParts,
  type EncodedResponseBody,
  encodeInferenceResponse,
  encodeInferenceResponseBody,
  encodeInferenceResponseParts,
  type ResponseEncodingRequest,
} from './inference-response';
export { parseJsonObject } from './json-body';
export { jsonCodec } from './json-codec';
export { type NpValue, npCodec } from './np-codec';
export * from './schemas';
export { strCodec } from './str-codec';
export {
  type BytesPlace,
  tensorBytes,
  tensorDataFromBytes,
  typedArrayView,
} from './tensor-bytes';
export { decodeTensor, encodeTensor } from './tensor-codec';
export * from './types';
export { VERSION } from './version';
