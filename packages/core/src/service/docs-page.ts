import { createHash } from 'node:crypto';
import type { RepositoryIndexEntry } from '../model-repository';
import type { ModelMetadataV1 } from '../spec';
import { ROUTES, type Route } from './route-table';

/** What the docs page shows. @internal */
export interface DocsPageOptions {
  title: string;
  version: string;
  enabled: (route: Route) => boolean;
  models: { entry: RepositoryIndexEntry; metadata: ModelMetadataV1 | undefined }[];
  /** The link to the OpenAPI document, relative to the page's URL. Default `docs/openapi.json`. */
  openapiHref?: string;
  /** Where the form posts (`<this><model>/infer`), relative to the page's URL. Default `models/`. */
  modelsHref?: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML (model names come from users and settings).
 *
 * @internal
 * @example
 * escapeHtml('<b>'); // '&lt;b&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** The page's only style sheet (inline, constant: the CSP allows it by its hash). */
const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
code,textarea,pre{font-family:ui-monospace,monospace}.m{font-weight:bold;padding:0 .4rem;border-radius:3px;color:#fff}
.GET{background:#2a7}.POST{background:#27c}textarea{width:100%;height:10rem}pre{background:#f5f5f5;padding:1rem;overflow:auto}
`;

/** The page's only script (inline, constant: the CSP allows it by its hash). */
const SCRIPT = `
document.getElementById('f').addEventListener('submit', async (event) => {
  event.preventDefault();
  const model = encodeURIComponent(document.getElementById('model').value);
  const out = document.getElementById('out');
  try {
    const response = await fetch(event.target.dataset.models + model + '/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: document.getElementById('body').value });
    out.textContent = response.status + '\\n' + JSON.stringify(await response.json(), null, 2);
  } catch (error) { out.textContent = String(error); }
});
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The docs page's `Content-Security-Policy`: its own inline style and script (by hash) and
 * requests to its own origin, nothing else. Model names and metadata are escaped anyway; this
 * stops anything that slipped through from running, loading, framing the page or posting a
 * form elsewhere.
 *
 * @internal
 */
export const DOCS_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const tensors = (list: ModelMetadataV1['inputs'] | undefined) =>
  (list ?? [])
    // Every field escaped: a model's metadata is not checked here (a plain model object or
    // a runtime reading a model file may carry anything in datatype or shape).
    .map(
      (t) =>
        `<code>${escapeHtml(String(t.name))}</code> ${escapeHtml(String(t.datatype))} [${escapeHtml(
          (Array.isArray(t.shape) ? t.shape : []).map(String).join(', '),
        )}]`,
    )
    .join('<br>');

/**
 * A self-contained HTML page (no CDN, no external script): the routes, the models with
 * their inputs and outputs, and a form to send an inference request. Links are relative
 * so the page works under any mount prefix.
 *
 * @internal
 * @example
 * renderDocsPage({ title: 'infer', version: '0.1.0', enabled: () => true, models: [] });
 */
export function renderDocsPage(options: DocsPageOptions): string {
  const routes = ROUTES.filter(options.enabled)
    .map(
      (route) =>
        `<tr><td><span class="m ${route.method}">${route.method}</span></td><td><code>${escapeHtml(
          route.path.replace(':model', '{model_name}').replace(':version', '{model_version}'),
        )}</code></td><td>${escapeHtml(route.summary)}</td></tr>`,
    )
    .join('\n');
  const models = options.models
    .map(({ entry, metadata }) => {
      const name = escapeHtml(entry.name);
      const version = entry.version === undefined ? '' : escapeHtml(entry.version);
      const reason = entry.reason ? ` <small>(${escapeHtml(entry.reason)})</small>` : '';
      return `<tr><td><code>${name}</code></td><td>${version}</td><td>${escapeHtml(entry.state)}${reason}</td><td>${tensors(
        metadata?.inputs,
      )}</td><td>${tensors(metadata?.outputs)}</td></tr>`;
    })
    .join('\n');
  const example = options.models[0]?.metadata?.inputs.map((input) => ({
    name: input.name,
    shape: input.shape.map((dim) => (dim < 0 ? 1 : dim)),
    datatype: input.datatype,
    data: [],
  }));
  const firstModel = options.models[0]?.entry.name ?? 'MODEL';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(options.title)} API</title>
<style>${STYLE}</style></head><body>
<h1>${escapeHtml(options.title)} <small>${escapeHtml(options.version)}</small></h1>
<p>Open Inference Protocol (KServe V2) REST API. Machine-readable: <a href="${escapeHtml(options.openapiHref ?? 'docs/openapi.json')}">OpenAPI 3 document</a>. Errors are <code>{"error": "..."}</code>.</p>
<h2>Routes</h2>
<table><tr><th>Method</th><th>Path</th><th>What</th></tr>
${routes}
</table>
<h2>Models</h2>
<table><tr><th>Name</th><th>Version</th><th>State</th><th>Inputs</th><th>Outputs</th></tr>
${models || '<tr><td colspan="5">No models.</td></tr>'}
</table>
<h2>Try it</h2>
<form id="f" data-models="${escapeHtml(options.modelsHref ?? 'models/')}"><label>Model <input id="model" value="${escapeHtml(firstModel)}"></label>
<textarea id="body">${escapeHtml(JSON.stringify({ inputs: example ?? [] }, null, 2))}</textarea>
<button>POST infer</button></form><pre id="out"></pre>
<script>${SCRIPT}</script>
</body></html>
`;
}
