/**
 * The version of @infer/core (also sent in `GET /v2`).
 *
 * @example
 * import { VERSION } from '@infer/core';
 */
export const VERSION = '0.1.0';
