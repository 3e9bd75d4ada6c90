import { defineModel } from '@infer/core';

/** A model named `echo` that answers its FP32 input `x` (any length) as its output `x`. */
export const echoModel = () =>
  defineModel({
    name: 'echo',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    predict: (request) => request.inputs,
  });
