/** The ESRGAN-slim x2 model directory (`model.json` and its weight shard). */
export declare function esrganDir(): string;
/** `require` as @infer/runtime-tfjs sees it (its TF.js copy and backends). */
export declare const requireFromRuntime: NodeJS.Require;
/** A deterministic [batch, side, side, 3] input in [0, 1). */
export declare function esrganInput(side: number, batch?: number): Float32Array;
