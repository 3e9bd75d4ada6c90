/** ImageNet class the finch must get (house finch). */
export declare const FINCH_CLASS: number;
/** `fixtures/finch.jpeg` as a MobileNetV2 input: 3 * 224 * 224 FP32, CHW, normalised. */
export declare function finchPixels(): Promise<Float32Array>;
/** One binary MobileNet request for the finch, binary output asked. */
export declare function finchBinaryRequest(): Promise<{
  body: Uint8Array;
  headers: Record<string, string>;
}>;
/** Index of the largest value. */
export declare function argmax(values: ArrayLike<number>): number;
