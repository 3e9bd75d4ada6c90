/** Every case the page runs, in order: the browser-only ones, then the shared suites. */
import { abortSuite } from '../suites/abort.suite';
import { errorsSuite } from '../suites/errors.suite';
import { healthSuite } from '../suites/health.suite';
import { mobilenetSuite } from '../suites/mobilenet.suite';
import { retrySuite } from '../suites/retry.suite';
import { roundTripSuite } from '../suites/round-trip.suite';
import type { SuiteApi, SuiteHost } from '../suites/suite-api';
import { environmentSuite } from './environment.suite';

export function browserCases(api: SuiteApi, host: SuiteHost): void {
  environmentSuite(api, host);
  healthSuite(api, host);
  roundTripSuite(api, host);
  errorsSuite(api, host);
  retrySuite(api, host);
  abortSuite(api, host);
  mobilenetSuite(api, host);
}
