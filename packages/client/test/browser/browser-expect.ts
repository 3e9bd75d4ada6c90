/**
 * vitest's `expect` for the page: `@vitest/expect`'s Jest matchers on chai, set up as vitest
 * itself does (minus snapshots and per-test state), so a suite asserts the same way in both.
 */
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  chai,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';
import type { ExpectStatic } from 'vitest';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** A standalone `expect` with vitest's matchers (`toEqual`, `toMatchObject`, `rejects`, ...). */
export function createBrowserExpect(): ExpectStatic {
  const expect = ((value: unknown, message?: string) =>
    chai.expect(value, message)) as unknown as ExpectStatic;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect);
  expect.setState = (state) => setState(state, expect);
  setState(
    {
      assertionCalls: 0,
      isExpectingAssertions: false,
      isExpectingAssertionsError: null,
      expectedAssertionsNumber: null,
      expectedAssertionsNumberErrorGen: null,
      currentTestName: '',
    },
    expect,
  );
  return expect;
}
