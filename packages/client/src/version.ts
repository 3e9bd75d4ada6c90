/**
 * The version of `@infer/client`.
 *
 * @example
 * console.log(VERSION); // '0.1.0'
 */
export const VERSION = '0.1.0';
