/**
 * The longest delay `setTimeout` takes (2^31 - 1 ms, about 24.8 days); longer ones fire at
 * once. grpc-js takes a keepalive time this large as "off".
 *
 * @internal
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
