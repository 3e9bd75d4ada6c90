/** ImageNet class the finch must get (house finch). */
export declare const FINCH_CLASS: number;
/** `fixtures/finch.jpeg` as a MobileNetV2 input: 3 * 224 * 224 FP32, CHW, normalised. */
export declare function finchPixels(): Promise<Float32Array>;
/** Index of the largest value. */
export declare function argmax(values: ArrayLike<number>): number;
