/**
 * The shared client suites (test/suites/) in headless Chromium against real servers: the page
 * runs the BUILT client (dist/index.js, bundled by esbuild for `platform: 'browser'`) across
 * origins (the servers allow the page's origin through CORS). One vitest case per page case,
 * so a failure names it. Debian's /usr/bin/chromium through playwright-core; nothing is
 * downloaded. Skipped, with a message, only where /usr/bin/chromium is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type InferServer, serveFromSettings } from '@infer/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteApi, SuiteHost } from '../suites/suite-api';
import {
  FINCH_PATH,
  overloadedCalls,
  seenHeaders,
  slowCalls,
  startTestServer,
} from '../test-server';
import { browserCases } from './browser-cases';
import { bundlePage, type PageBundle } from './page-bundle';
import { type CaseResult, type PageSuite, recordCases } from './recorder';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
/** Per page case, unless the case sets its own. */
const CASE_TIMEOUT_MS = 20_000;

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `skipping the client suites in headless Chromium: ${CHROMIUM} is absent (apt-get install chromium)`,
  );
}

// The cases, as the page will record them (same code, same order): the names come from here.
const unusedHost = {} as SuiteHost;
const expected = recordCases((api) => browserCases(api, unusedHost), expect).map(
  (recorded) => recorded.path,
);

let staticServer: Server | undefined;
let testServer: InferServer | undefined;
let mobilenetServer: InferServer | undefined;
let browser: Browser | undefined;
let page: Page | undefined;
let bundle: PageBundle;
const pageErrors: string[] = [];

/** Serves the page, its script and the fixture; the page's origin is this server's. */
async function startStaticServer(script: () => string): Promise<string> {
  const finch = readFileSync(FINCH_PATH);
  staticServer = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(
        '<!doctype html><title>@infer/client</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>',
      );
    } else if (path === '/page.js') {
      response.setHeader('content-type', 'text/javascript; charset=utf-8');
      response.end(script());
    } else if (path === '/fixtures/finch.jpeg') {
      response.setHeader('content-type', 'image/jpeg');
      response.end(finch);
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => staticServer!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}`;
}

/** What the page asks Node through `globalThis.__inferHost` (the server-side facts). */
function hostCall(operation: string, argument?: string): unknown {
  switch (operation) {
    case 'seenHeaders':
      return seenHeaders.get(argument ?? '');
    case 'resetOverloaded':
      overloadedCalls.count = 0;
      return null;
    case 'slowCalls':
      return { ...slowCalls };
    default:
      throw new Error(`unknown host call ${operation}`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function runInPage(index: number, timeoutMs: number): Promise<void> {
  if (page === undefined) throw new Error('the page did not load (see the first failure)');
  const result: CaseResult = await page.evaluate(
    ([i, ms]) =>
      (globalThis as unknown as { __inferSuite: PageSuite }).__inferSuite.run(
        i as number,
        ms as number,
      ),
    [index, timeoutMs],
  );
  if (!result.ok) {
    const error = new Error(`[chromium] ${result.message}`);
    error.name = result.name;
    error.stack = `${result.name}: [chromium] ${result.message}\n(page stack, bundled code)\n${result.stack}`;
    throw error;
  }
}

describe.skipIf(!hasChromium)('in headless Chromium, with the built client (dist)', () => {
  beforeAll(async () => {
    bundle = await bundlePage();
    const origin = await startStaticServer(() => bundle.code);
    // The servers allow exactly the page's origin; MobileNet loads while Chromium starts.
    // Each is kept as soon as it is up, so that afterAll closes it even when another failed.
    const started = await Promise.allSettled([
      startTestServer(origin).then((server) => {
        testServer = server;
      }),
      serveFromSettings({
        paths: [fileURLToPath(new URL('../../../../models/mobilenet', import.meta.url))],
        env: {},
        overrides: { port: 0, host: '127.0.0.1', cors: { origin } },
      }).then((server) => {
        mobilenetServer = server;
      }),
      chromium
        .launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
        .then((launched) => {
          browser = launched;
        }),
    ]);
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    if (!testServer || !mobilenetServer || !browser)
      throw new Error('a server or Chromium is missing');
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console.error: ${message.text()}`);
    });
    await page.exposeFunction('__inferHost', hostCall);
    const query = new URLSearchParams({ api: testServer.url, mobilenet: mobilenetServer.url });
    await page.goto(`${origin}/?${query}`);
    await page
      .waitForFunction(() => '__inferSuite' in globalThis, null, { timeout: 15_000 })
      .catch((error: Error) => {
        throw new Error(
          `the page script did not start: ${error.message}\n${pageErrors.join('\n')}`,
        );
      });
  }, 90_000);

  afterAll(async () => {
    await withTimeout(browser?.close() ?? Promise.resolve(), 10_000, 'closing Chromium').catch(
      (error: Error) => console.warn(error.message),
    );
    await Promise.all([
      testServer?.close(),
      mobilenetServer?.close(),
      staticServer && new Promise((resolve) => staticServer!.close(resolve)),
    ]);
  }, 30_000);

  it('bundles the built client (dist/index.js) for the browser: no TypeScript source, no Node built-in', () => {
    // bundlePage() fails on any Node built-in (node:fs, fs, ...) with `platform: 'browser'`.
    expect(bundle.inputs).toContain('dist/index.js');
    expect(bundle.inputs.some((input) => input.startsWith('../codecs/dist/'))).toBe(true);
    const sources = bundle.inputs.filter(
      (input) => !input.includes('node_modules/') && /(^|\/)src\//.test(input),
    );
    expect(sources).toEqual([]);
    expect(bundle.code).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it('loads the page, which records the same cases as Node', async () => {
    const listed = await page!.evaluate(() =>
      (globalThis as unknown as { __inferSuite: PageSuite }).__inferSuite.list(),
    );
    expect(listed).toEqual(expected);
    expect(pageErrors).toEqual([]);
  });

  // Not the client: the docs page of the same real server, which only a browser can show works
  // under its Content-Security-Policy (docs-page.ts).
  it.each(['/v2/docs', '/v2/docs/'])(
    "the server's docs page (%s) works under its Content-Security-Policy, which blocks an injected script",
    async (path) => {
      const docs = await browser!.newPage();
      const violations: string[] = [];
      docs.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      try {
        const response = await docs.goto(`${mobilenetServer!.url}${path}`);
        expect(response!.headers()['content-security-policy']).toContain("default-src 'none'");
        // The inline style applied and the inline script ran (its form posts to the server).
        // (Expressions as strings: this file is typed without the DOM's types.)
        const font = await docs.evaluate<string>('getComputedStyle(document.body).fontFamily');
        expect(font).toContain('system-ui');
        await docs.click('button');
        // A selector, not a function: Playwright evaluates a string predicate with eval, which
        // the page's CSP refuses.
        await docs.waitForSelector('#out:not(:empty)', { state: 'attached', timeout: 10_000 });
        const out = await docs.evaluate<string>("document.getElementById('out').textContent");
        // The example request has no data: the model route's own 400 (not a 404 beside it).
        expect(out).toMatch(/^400\n/);
        expect(out).toContain('"error"');
        expect(violations).toEqual([]);
        // A script that got into the page by any other way does not run.
        const injected = await docs.evaluate<{
          ran: boolean;
          violated: string;
        }>(`new Promise((resolve) => {
        const report = (violated) => resolve({ ran: 'injectedRan' in globalThis, violated });
        document.addEventListener('securitypolicyviolation', (event) => report(event.violatedDirective));
        setTimeout(() => report('none'), 2000);
        const script = document.createElement('script');
        script.textContent = 'globalThis.injectedRan = true';
        document.body.append(script);
      })`);
        expect(injected).toEqual({ ran: false, violated: 'script-src-elem' });
      } finally {
        await docs.close();
      }
    },
  );

  // One vitest case per page case, nested as the suites nest them.
  let next = 0;
  const mirror: SuiteApi = {
    describe: (name, body) => describe(name, body),
    it: (name, _body, timeoutMs) => {
      const index = next++;
      const ms = timeoutMs ?? CASE_TIMEOUT_MS;
      it(name, () => runInPage(index, ms), ms + 5_000);
    },
    expect,
  };
  browserCases(mirror, unusedHost);
});
