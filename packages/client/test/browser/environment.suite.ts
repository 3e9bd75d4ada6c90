/** Browser-only cases: the page really is Chromium, and it calls the servers cross-origin. */
import type { SuiteApi, SuiteHost } from '../suites/suite-api';

interface PageGlobals {
  navigator?: { userAgent: string };
  location?: { origin: string };
  document?: unknown;
  process?: unknown;
  Buffer?: unknown;
}

export function environmentSuite({ describe, it, expect }: SuiteApi, host: SuiteHost): void {
  describe('the page', () => {
    it('runs in headless Chromium, with no Node globals (process, Buffer)', () => {
      const page = globalThis as PageGlobals;
      expect(page.navigator?.userAgent).toMatch(/HeadlessChrome\/\d+/);
      expect(page.document).toBeDefined();
      expect(page.process).toBeUndefined();
      expect(page.Buffer).toBeUndefined();
    });

    it('calls the servers from another origin, so every call goes through CORS', () => {
      const origin = (globalThis as PageGlobals).location?.origin;
      expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(new URL(host.url).origin).not.toBe(origin);
      expect(new URL(host.mobilenetUrl).origin).not.toBe(origin);
    });
  });
}
