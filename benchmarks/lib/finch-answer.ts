/**
 * Checks a MobileNet server with one real request: the binary finch request must come back
 * as class 12. Returns the answer (status, headers, base64 body) so a stand-in server can
 * replay the same bytes (`http-floor-server.mjs`).
 */
import { decodeInferenceResponse } from '@infer/codecs';
import { argmax, FINCH_CLASS } from './finch.mjs';

/** The answer of one request, as `http-floor-server.mjs` replays it. */
export interface CapturedAnswer {
  status: number;
  headers: Record<string, string>;
  /** Base64 of the body bytes. */
  body: string;
}

/**
 * POSTs `body` to `http://127.0.0.1:<port><path>`; throws unless the top-1 class is the finch's.
 *
 * @example
 * const answer = await captureFinchAnswer(port, '/v2/models/mobilenet/infer', body, headers);
 */
export async function captureFinchAnswer(
  port: number,
  path: string,
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<CapturedAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers,
    body: Buffer.from(body),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!response.ok) throw new Error(`port ${port}: HTTP ${response.status}`);
  const headerLength = response.headers.get('inference-header-content-length');
  const decoded = decodeInferenceResponse(
    bytes,
    headerLength === null ? {} : { headerLength: Number(headerLength) },
  );
  const top = argmax(decoded.outputs[0]!.data as ArrayLike<number>);
  if (top !== FINCH_CLASS) throw new Error(`top-1 class ${top}, expected ${FINCH_CLASS}`);
  const answerHeaders: Record<string, string> = {};
  for (const name of ['content-type', 'inference-header-content-length']) {
    const value = response.headers.get(name);
    if (value !== null) answerHeaders[name] = value;
  }
  return { status: 200, headers: answerHeaders, body: Buffer.from(bytes).toString('base64') };
}
