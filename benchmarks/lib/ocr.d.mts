/** The PP-OCRv4 recognition model's path. */
export declare const OCR_RECOGNITION_MODEL: string;
/** The input name of the recognition model. */
export declare const OCR_INPUT: string;
/** A deterministic [batch, 3, 48, width] input in [-1, 1). */
export declare function ocrInput(width: number, batch?: number): Float32Array;
