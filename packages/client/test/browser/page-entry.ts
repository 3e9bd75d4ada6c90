/**
 * The page's script (bundled by esbuild for `platform: 'browser'`, `@infer/client` resolved
 * to the built `dist/index.js`): records the cases and offers them on `globalThis.__inferSuite`.
 * Server URLs come in the query string (`?api=...&mobilenet=...`); server-side facts through
 * `globalThis.__inferHost`, a function the Node runner exposes to the page.
 */
import type { SuiteHost } from '../suites/suite-api';
import { browserCases } from './browser-cases';
import { createBrowserExpect } from './browser-expect';
import { type PageSuite, recordCases, runCase } from './recorder';

type HostCall = (operation: string, argument?: string) => Promise<unknown>;
const page = globalThis as unknown as {
  location: { href: string };
  __inferHost: HostCall;
  __inferSuite?: PageSuite;
};

const query = new URL(page.location.href).searchParams;
const call: HostCall = (operation, argument) => page.__inferHost(operation, argument);

const host: SuiteHost = {
  url: query.get('api') ?? '',
  mobilenetUrl: query.get('mobilenet') ?? '',
  seenHeaders: (model) =>
    call('seenHeaders', model) as Promise<Record<string, string | undefined> | undefined>,
  resetOverloaded: async () => {
    await call('resetOverloaded');
  },
  slowCalls: () => call('slowCalls') as Promise<{ started: number; aborted: number }>,
  // Same origin as the page: a plain fetch, as an app would read an image.
  finch: async () => new Uint8Array(await (await fetch('/fixtures/finch.jpeg')).arrayBuffer()),
};

const cases = recordCases((api) => browserCases(api, host), createBrowserExpect());

page.__inferSuite = {
  list: () => cases.map((recorded) => recorded.path),
  run: (index, timeoutMs) => {
    const recorded = cases[index];
    if (recorded === undefined) throw new Error(`no case ${index} (${cases.length} cases)`);
    return runCase(recorded, recorded.timeoutMs ?? timeoutMs);
  },
};
