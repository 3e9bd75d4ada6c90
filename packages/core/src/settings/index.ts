export {
  type CreateModelOptions,
  createModelFromSettings,
  type ModelFromSettings,
} from './create-model';
export { ENV_SETTINGS } from './env-settings';
export {
  findModelSettingsFiles,
  type LoadedSettings,
  type LoadSettingsOptions,
  loadSettings,
  MODEL_SETTINGS_FILE,
  type ModelSettingsEntry,
  parseModelSettings,
  type ResolvedModelSettings,
  SETTINGS_FILE,
} from './load-settings';
export {
  assertSafeModelName,
  createModelDirectoryLoader,
  type ModelDirectoryLoader,
  type ModelDirectoryLoaderOptions,
} from './model-directory-loader';
export { MODEL_NAME_PATTERN, type ModelSettings, modelSettingsSchema } from './model-settings';
export {
  type ModelLoadEvent,
  type ServedModelInfo,
  type ServeFromSettingsOptions,
  type SettingsServer,
  serveFromSettings,
} from './serve-from-settings';
export {
  DEFAULT_SERVER_SETTINGS,
  LOG_LEVELS,
  parseByteSize,
  type ServerSettings,
  type ServerSettingsInput,
  serverSettingsSchema,
} from './server-settings';
export { SettingsError, type SettingsIssue } from './settings-error';
