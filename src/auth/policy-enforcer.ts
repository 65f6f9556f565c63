/**
 * The policy enforcer: Cinder's default rules, overridden rule by rule by the operator's policy
 * file, evaluated for a request context against a target (oslo.policy's `Enforcer.authorize`).
 */
import type { RequestContext } from '../common/context.js';
import { ConfigError } from '../common/errors.js';
import { CINDER_ZED_POLICY } from './cinder-policy.js';
import {
  evaluate,
  parseCheckString,
  referencedRules,
  type Check,
  type PolicyCredentials,
  type PolicyTarget,
} from './policy-engine.js';

/** The shorthand of `DEFAULT_RULES` in policy.ts. */
export type PolicyLevel = 'admin' | 'owner' | 'reader' | 'none';

/**
 * What each shorthand means as a check string, for rule names Cinder's table does not have. In
 * Zed (deprecated defaults still on) both owner and reader come down to `admin_or_owner`.
 */
export const LEVEL_CHECKS: Readonly<Record<PolicyLevel, string>> = {
  admin: 'rule:admin_api',
  owner: 'rule:admin_or_owner',
  reader: 'rule:admin_or_owner',
  none: '@',
};

/** The rule of an action nobody defined: admins only (oslo would refuse to check it at all). */
const UNKNOWN_ACTION: Check = parseCheckString(LEVEL_CHECKS.admin);

/** Where the operator's overrides come from (see `WatchedPolicyFile`). */
export interface PolicyOverrides {
  readonly path: string;
  /** The current rules; the same map until the file changes. */
  rules(): ReadonlyMap<string, Check>;
}

export class PolicyEnforcer {
  readonly #defaults: ReadonlyMap<string, Check>;
  #rules: ReadonlyMap<string, Check>;
  #seenOverrides: ReadonlyMap<string, Check> | undefined;

  /**
   * `levels`: the shorthand map (policy.ts `DEFAULT_RULES`), used for names Cinder's table lacks.
   * @throws ConfigError when the overrides make rules refer to each other in a loop.
   */
  constructor(
    levels: Readonly<Record<string, PolicyLevel>>,
    private readonly overrides?: PolicyOverrides,
    private readonly onRejectedOverrides: (err: Error) => void = () => {},
  ) {
    const defaults = new Map<string, Check>();
    for (const [name, level] of Object.entries(levels))
      defaults.set(name, parseCheckString(LEVEL_CHECKS[level] ?? LEVEL_CHECKS.admin));
    for (const [name, rule] of Object.entries(CINDER_ZED_POLICY)) defaults.set(name, parseCheckString(rule));
    this.#defaults = defaults;
    this.#seenOverrides = overrides?.rules();
    this.#rules = merge(defaults, this.#seenOverrides, overrides?.path);
  }

  /** The policy file in use, if any. */
  get policyFile(): string | undefined {
    return this.overrides?.path;
  }

  /** Whether `creds` may do `action` on `target`. */
  enforce(action: string, target: PolicyTarget, creds: PolicyCredentials): boolean {
    const rules = this.#current();
    const rule = rules.get(action) ?? UNKNOWN_ACTION;
    return evaluate(rule, target, creds, (name) => rules.get(name));
  }

  /** Whether `ctx` may do `action` on a resource of `targetProjectId` (null/undefined: its own). */
  allows(ctx: RequestContext, action: string, targetProjectId?: string | null): boolean {
    const creds = policyCredentials(ctx);
    const target = {
      project_id: targetProjectId ?? ctx.projectId,
      user_id: ctx.userId,
    };
    return this.enforce(action, target, creds);
  }

  /** Cinder's `check_is_admin`: the `context_is_admin` rule with the credentials as the target. */
  isAdmin(creds: PolicyCredentials): boolean {
    return this.enforce('context_is_admin', creds, creds);
  }

  #current(): ReadonlyMap<string, Check> {
    if (!this.overrides) return this.#rules;
    const overrides = this.overrides.rules();
    if (overrides !== this.#seenOverrides) {
      this.#seenOverrides = overrides;
      try {
        this.#rules = merge(this.#defaults, overrides, this.overrides.path);
      } catch (err) {
        this.onRejectedOverrides(err as Error);
      }
    }
    return this.#rules;
  }
}

/** oslo.context's `to_policy_values()` for a Kindling context. */
export function policyCredentials(ctx: RequestContext): PolicyCredentials {
  return {
    user_id: ctx.userId,
    project_id: ctx.projectId,
    roles: ctx.roles,
    is_admin: ctx.isAdmin,
    // NOTE: keystonemiddleware says True unless Keystone names an admin project.
    is_admin_project: ctx.isAdminProject ?? true,
    domain_id: ctx.domainId ?? null,
    user_domain_id: ctx.userDomainId ?? null,
    project_domain_id: ctx.projectDomainId ?? null,
    system_scope: ctx.systemScope ?? null,
    service_user_id: ctx.serviceUserId ?? null,
    service_project_id: ctx.serviceProjectId ?? null,
    service_roles: ctx.serviceRoles ?? [],
  };
}

function merge(
  defaults: ReadonlyMap<string, Check>,
  overrides: ReadonlyMap<string, Check> | undefined,
  path: string | undefined,
): ReadonlyMap<string, Check> {
  if (!overrides || overrides.size === 0) return defaults;
  const rules = new Map([...defaults, ...overrides]);
  const loop = findLoop(rules);
  if (loop)
    throw new ConfigError(`Policy file ${path}: rules refer to each other in a loop: ${loop.join(' -> ')}`);
  return rules;
}

/** A `rule:` cycle, as the names along it, or null. */
function findLoop(rules: ReadonlyMap<string, Check>): string[] | null {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | null => {
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    if (done.has(name)) return null;
    const rule = rules.get(name);
    for (const next of rule ? referencedRules(rule) : []) {
      const loop = visit(next, [...path, name]);
      if (loop) return loop;
    }
    done.add(name);
    return null;
  };
  for (const name of rules.keys()) {
    const loop = visit(name, []);
    if (loop) return loop;
  }
  return null;
}

let configured: PolicyEnforcer | undefined;

/** Makes `enforcer` the one `authorize` uses in this process (as Cinder's global enforcer). */
export function setPolicyEnforcer(enforcer: PolicyEnforcer | undefined): void {
  configured = enforcer;
}

/** The enforcer in use; until one is set, the defaults alone (built from `levels`). */
export function currentPolicyEnforcer(levels: Readonly<Record<string, PolicyLevel>>): PolicyEnforcer {
  configured ??= new PolicyEnforcer(levels);
  return configured;
}
