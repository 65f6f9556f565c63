import type { Logger } from 'pino';
import { ConfigError } from '../common/errors.js';
import type { Config } from '../config/index.js';
import { OSLO_POLICY_OPTIONS } from '../config/options.js';
import { isSet, readSection } from './config-section.js';
import { DEFAULT_RULES } from './policy.js';
import { PolicyEnforcer, setPolicyEnforcer } from './policy-enforcer.js';
import { findPolicyFile, WatchedPolicyFile } from './policy-file.js';

/**
 * Builds this process's policy enforcer from `[oslo_policy]` and makes `authorize` use it: the
 * defaults, plus the policy file when there is one (the default `policy.yaml` may be absent; a
 * `policy_file` set explicitly must exist).
 * @throws ConfigError for a missing explicit file or one that cannot be parsed.
 */
export function configurePolicy(config: Config, log?: Logger): PolicyEnforcer {
  const { policy_file: name } = readSection(config, 'oslo_policy', OSLO_POLICY_OPTIONS);
  const path = findPolicyFile(name, config.configFiles);
  if (path === null && isSet(config, 'oslo_policy', 'policy_file'))
    throw new ConfigError(
      `Policy file ${name} not found (looked next to the config files and in /etc/kindling)`,
    );
  const file =
    path === null
      ? undefined
      : new WatchedPolicyFile(path, (result) => {
          if (result instanceof Error)
            log?.error({ err: result }, `policy file ${path} not reloaded: ${result.message}`);
          else log?.info(`policy file ${path} reloaded (${result.size} rules)`);
        });
  const enforcer = new PolicyEnforcer(DEFAULT_RULES, file, (err) =>
    log?.error({ err }, `policy file ${path} not applied: ${err.message}`),
  );
  if (path !== null) log?.info(`policy overrides from ${path}`);
  setPolicyEnforcer(enforcer);
  return enforcer;
}
