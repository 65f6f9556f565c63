/** Configuration: a cinder.conf-shaped INI file plus environment overrides, typed and frozen. */
export { loadConfig, parseCommandLineConfigFiles } from './config.js';
export type {
  BackendSection,
  Config,
  DatabaseSection,
  DefaultSection,
  LoadConfigOptions,
  NotificationSection,
} from './config.js';
export { parseIni } from './ini-parser.js';
export type { IniSections } from './ini-parser.js';
export {
  BACKEND_OPTIONS,
  DATABASE_OPTIONS,
  DEFAULT_OPTIONS,
  NOTIFICATION_OPTIONS,
  OPTIONS,
  SECTIONS,
} from './options.js';
export type { DefaultContext, OptionDef, OptionInfo, OptionType } from './options.js';
export { ConfigError } from '../common/errors.js';
export { ConfigErrors } from './config.js';
export type { ConfigWarning } from './known-options.js';
