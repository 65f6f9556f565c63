import type { Logger } from 'pino';
import { InvalidInput } from './errors.js';

/**
 * Named loggers of this process whose levels an admin may read and change at run time
 * (`PUT /os-services/get-log|set-log`, Cinder's `utils.get_log_levels` / `set_log_levels`).
 * Kindling logs through one pino root per process, registered as `kindling`; loggers made from it
 * afterwards (per request, per volume) start at its level.
 */
const registry = new Map<string, Logger>();

/** The levels Cinder accepts, with pino's name for each. */
const LEVELS: Readonly<Record<string, string>> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
};

const PYTHON_NAME: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
  silent: 'CRITICAL',
};

export function registerLogger(name: string, log: Logger): void {
  registry.set(name, log);
}

/** Cinder's `get_log_method`: the level, or `InvalidInput` for anything else. */
export function checkLogLevel(level: unknown): string {
  const s = typeof level === 'string' ? level : '';
  const pinoLevel = LEVELS[s.toUpperCase()];
  if (!pinoLevel) throw new InvalidInput(`${s} is not a valid log level.`);
  return pinoLevel;
}

/** `{logger name: level}` of the loggers whose name starts with `prefix`. */
export function getLogLevels(prefix: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, log] of registry)
    if (name.startsWith(prefix ?? '')) out[name] = PYTHON_NAME[log.level] ?? log.level.toUpperCase();
  return out;
}

/** Sets every logger whose name starts with `prefix` to `level` (checked first). */
export function setLogLevels(prefix: string | null | undefined, level: unknown): void {
  const pinoLevel = checkLogLevel(level);
  for (const [name, log] of registry) if (name.startsWith(prefix ?? '')) log.level = pinoLevel;
}
