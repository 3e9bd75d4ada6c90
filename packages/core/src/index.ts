export type * from './spec';
export const VERSION = '0.1.0';
