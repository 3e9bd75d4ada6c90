/** The version of @infer/batching. */
export const VERSION = '0.1.0';
