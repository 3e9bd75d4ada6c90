/**
 * A usage or input error of the `infer` CLI: printed as its message alone (no stack),
 * exit code 2 for usage, 1 otherwise.
 *
 * @example
 * throw new CliError('--model is required', 2);
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
