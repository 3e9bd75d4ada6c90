export { CliError } from './cli-error';
export { runCli, USAGE } from './main';
