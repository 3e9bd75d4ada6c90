import { withoutParameter } from './check-parameters';
import { jsonElementsText } from './encode-json-elements';
import { checkTensor } from './tensor-codec';
import type { Tensor } from './types';

/**
 * The JSON text of one tensor; with `binarySize` its data is announced as binary
 * (`parameters.binary_data_size`) instead of written as `data`.
 *
 * @internal
 */
export function tensorJsonText(
  tensor: Tensor,
  list: string,
  index: number,
  binarySize?: number,
): string {
  const context = checkTensor(tensor, list, index);
  let parameters = withoutParameter(tensor.parameters, 'binary_data_size');
  if (binarySize !== undefined) parameters = { ...parameters, binary_data_size: binarySize };
  let text = `{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}","shape":[${tensor.shape.join(',')}]`;
  if (parameters !== undefined && Object.keys(parameters).length > 0) {
    text += `,"parameters":${JSON.stringify(parameters)}`;
  }
  if (binarySize === undefined) {
    text += `,"data":${jsonElementsText(tensor.datatype, tensor.data, context)}`;
  }
  return `${text}}`;
}

/**
 * `{...fields, "key": [items]}` where `items` are JSON texts; fields that are `undefined`
 * are left out.
 *
 * @internal
 */
export function envelopeJsonText(
  fields: Record<string, unknown>,
  key: string,
  items: readonly string[],
): string {
  const head = JSON.stringify(fields);
  const list = `${JSON.stringify(key)}:[${items.join(',')}]`;
  return head === '{}' ? `{${list}}` : `${head.slice(0, -1)},${list}}`;
}
