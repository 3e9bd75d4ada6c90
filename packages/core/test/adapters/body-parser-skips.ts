/**
 * The conformance tests an Express app answers itself when a body-parser middleware
 * (`express.json()`, `express.raw()`) reads the body before the router, each with its reason;
 * shared by the Express 5 and Express 4 test files.
 */
import type { AdapterConformanceTest } from '@infer/core/testing';

/** The `skip` option of `runAdapterConformance` behind `express.<parser>()`. */
export function bodyParserSkips(
  parser: 'json' | 'raw',
): Partial<Record<AdapterConformanceTest, string>> {
  const parsedFirst = `express.${parser}() reads the body before the router, so its own limit applies`;
  const skips: Partial<Record<AdapterConformanceTest, string>> = {
    'a streamed body over the limit is 413': parsedFirst,
    'a declared Content-Length over the limit is 413': parsedFirst,
    'an unknown Content-Encoding is 415 with Accept-Encoding': `express.${parser}() answers codings it cannot decode itself (HTML 415)`,
    'a body that is not valid gzip is 400': `express.${parser}() answers bad gzip itself (HTML 400)`,
    'a raw deflate or x-gzip request body is decoded':
      'body-parser decodes zlib deflate and gzip only; it answers the rest itself',
  };
  if (parser === 'json') {
    // express.raw() hands the decoded bytes on, so the router's limit still catches a bomb.
    skips['malformed JSON is 400 with an error body'] =
      'express.json() answers malformed JSON itself (HTML 400)';
    skips['a compressed body that inflates past the limit is 413'] =
      `${parsedFirst} to the decoded body`;
  }
  return skips;
}
