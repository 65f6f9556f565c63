/**
 * oslo.policy's rule language: a parser and an evaluator for the check strings Cinder's defaults
 * and operators' policy.yaml files use.
 *
 * Grammar (as oslo's): checks joined by `and` / `or`, negated by `not`, grouped by parentheses;
 * `not` binds tightest, then `and`, then `or`. A check is `@` (always), `!` (never),
 * `rule:<name>` (another rule), `role:<name>` (the caller has that role, case-insensitive), or
 * `<kind>:<match>`: the caller's credential `<kind>` (dotted path) equals `<match>`, or, when
 * `<kind>` is a Python literal (`True`, `'x'`, `3`), that literal equals `<match>`. `<match>` may
 * use `%(key)s` for a value of the target (`project_id:%(project_id)s`). An empty rule is `@`;
 * oslo's older list form (`[["a", "b"], ["c"]]`: a or-list of and-lists) is accepted too.
 */

/** A parsed check string. */
export type Check =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'and'; readonly checks: readonly Check[] }
  | { readonly kind: 'or'; readonly checks: readonly Check[] }
  | { readonly kind: 'not'; readonly check: Check }
  | { readonly kind: 'rule'; readonly name: string }
  | { readonly kind: 'role'; readonly match: string }
  | { readonly kind: 'generic'; readonly key: string; readonly match: string };

/** What a check string could not be parsed for. */
export class PolicyParseError extends Error {}

/** Values of the resource acted on (`%(project_id)s` reads `project_id`). */
export type PolicyTarget = Readonly<Record<string, unknown>>;
/** Who is asking: `roles`, `user_id`, `project_id`, `is_admin`, … (oslo.context's policy values). */
export type PolicyCredentials = Readonly<Record<string, unknown>>;

const TRUE: Check = { kind: 'true' };
const FALSE: Check = { kind: 'false' };

/** Parses a rule as found in policy.yaml: a check string, or oslo's legacy list form. */
export function parseRule(rule: unknown): Check {
  if (typeof rule === 'string') return parseCheckString(rule);
  if (Array.isArray(rule)) return parseListRule(rule);
  throw new PolicyParseError(`a rule must be a string, not ${JSON.stringify(rule)}`);
}

function parseListRule(rule: readonly unknown[]): Check {
  if (rule.length === 0) return TRUE;
  const ors = rule.map((inner) => {
    if (!Array.isArray(inner)) return parseCheck(String(inner));
    const ands = inner.map((c) => parseCheck(String(c)));
    return ands.length === 1 ? ands[0]! : { kind: 'and' as const, checks: ands };
  });
  return ors.length === 1 ? ors[0]! : { kind: 'or', checks: ors };
}

type Token = { t: '(' } | { t: ')' } | { t: 'and' } | { t: 'or' } | { t: 'not' } | { t: 'check'; c: Check };

/** oslo's tokenizer: words split on white space, with parentheses peeled off their ends. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = word;
    while (w.startsWith('(')) {
      tokens.push({ t: '(' });
      w = w.slice(1);
    }
    let closing = 0;
    while (w.endsWith(')')) {
      closing++;
      w = w.slice(0, -1);
    }
    if (w) {
      const lower = w.toLowerCase();
      if (lower === 'and' || lower === 'or' || lower === 'not') tokens.push({ t: lower });
      else if (/^(["']).*\1$/.test(w) && w.length >= 2)
        throw new PolicyParseError(`a quoted string (${w}) is not a check`);
      else tokens.push({ t: 'check', c: parseCheck(w) });
    }
    for (let i = 0; i < closing; i++) tokens.push({ t: ')' });
  }
  return tokens;
}

/** One `kind:match` check (or `@` / `!`). */
function parseCheck(text: string): Check {
  if (text === '@') return TRUE;
  if (text === '!') return FALSE;
  const colon = text.indexOf(':');
  if (colon < 0) throw new PolicyParseError(`"${text}" is not a check (kind:match, @ or !)`);
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (kind === 'rule') return { kind: 'rule', name: match };
  if (kind === 'role') return { kind: 'role', match };
  if (kind === 'http' || kind === 'https')
    throw new PolicyParseError(`"${text}": ${kind} checks are not supported`);
  return { kind: 'generic', key: kind, match };
}

/** Parses a check string (`role:admin or (role:member and project_id:%(project_id)s)`). */
export function parseCheckString(text: string): Check {
  const tokens = tokenize(text);
  if (tokens.length === 0) return TRUE;
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (why: string): never => {
    throw new PolicyParseError(`cannot parse "${text}": ${why}`);
  };

  const orExpr = (): Check => {
    const checks = [andExpr()];
    while (peek()?.t === 'or') {
      pos++;
      checks.push(andExpr());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'or', checks };
  };
  const andExpr = (): Check => {
    const checks = [notExpr()];
    while (peek()?.t === 'and') {
      pos++;
      checks.push(notExpr());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'and', checks };
  };
  const notExpr = (): Check => {
    if (peek()?.t === 'not') {
      pos++;
      return { kind: 'not', check: notExpr() };
    }
    return atom();
  };
  const atom = (): Check => {
    const tok = tokens[pos++];
    if (tok === undefined) return fail('it ends too early');
    if (tok.t === 'check') return tok.c;
    if (tok.t === '(') {
      const inner = orExpr();
      if (tokens[pos++]?.t !== ')') fail('a parenthesis is not closed');
      return inner;
    }
    return fail(`unexpected "${tok.t}"`);
  };

  const check = orExpr();
  if (pos < tokens.length) fail(`unexpected "${tokens[pos]!.t}"`);
  return check;
}

/** The canonical string of a check (oslo's `str(check)` form). */
export function checkToString(check: Check): string {
  switch (check.kind) {
    case 'true':
      return '@';
    case 'false':
      return '!';
    case 'and':
      return `(${check.checks.map(checkToString).join(' and ')})`;
    case 'or':
      return `(${check.checks.map(checkToString).join(' or ')})`;
    case 'not':
      return `not ${checkToString(check.check)}`;
    case 'rule':
      return `rule:${check.name}`;
    case 'role':
      return `role:${check.match}`;
    case 'generic':
      return `${check.key}:${check.match}`;
  }
}

/** The rules a `rule:` check is looked up in. */
export type RuleLookup = (name: string) => Check | undefined;

/**
 * Whether `check` passes for `creds` acting on `target`. A `rule:` naming no rule, or a `%(key)s`
 * the target lacks, fails its check (as in oslo).
 */
export function evaluate(
  check: Check,
  target: PolicyTarget,
  creds: PolicyCredentials,
  rules: RuleLookup,
  depth = 0,
): boolean {
  // NOTE: policy files are checked for rule cycles when loaded; this is the last guard.
  if (depth > 100) return false;
  switch (check.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return check.checks.every((c) => evaluate(c, target, creds, rules, depth + 1));
    case 'or':
      return check.checks.some((c) => evaluate(c, target, creds, rules, depth + 1));
    case 'not':
      return !evaluate(check.check, target, creds, rules, depth + 1);
    case 'rule': {
      const rule = rules(check.name);
      return rule !== undefined && evaluate(rule, target, creds, rules, depth + 1);
    }
    case 'role': {
      const match = substitute(check.match, target);
      const roles = creds.roles;
      return (
        match !== null &&
        Array.isArray(roles) &&
        roles.some((r) => pyStr(r).toLowerCase() === match.toLowerCase())
      );
    }
    case 'generic': {
      const match = substitute(check.match, target);
      if (match === null) return false;
      const literal = pythonLiteral(check.key);
      if (literal !== undefined) return match === literal;
      return findInCreds(creds, check.key.split('.'), match);
    }
  }
}

/** The rule names a check refers to (for cycle and unknown-rule checks). */
export function referencedRules(check: Check): string[] {
  switch (check.kind) {
    case 'and':
    case 'or':
      return check.checks.flatMap(referencedRules);
    case 'not':
      return referencedRules(check.check);
    case 'rule':
      return [check.name];
    default:
      return [];
  }
}

/**
 * Python's `match % target` for `%(key)s` / `%%`; null when the target lacks a key. A key with dots
 * (`%(target.volume.id)s`) is looked up as written first, then as a path into nested objects.
 */
function substitute(match: string, target: PolicyTarget): string | null {
  let missing = false;
  const out = match.replace(/%(?:%|\(([^)]*)\)s)/g, (whole, key: string | undefined) => {
    if (key === undefined) return '%';
    const value = lookup(target, key);
    if (value === undefined) {
      missing = true;
      return whole;
    }
    return pyStr(value);
  });
  return missing ? null : out;
}

function lookup(obj: PolicyTarget, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** oslo walks the credential path; a list on the way matches when any of its items does. */
function findInCreds(value: unknown, path: readonly string[], match: string): boolean {
  if (path.length === 0) return match === pyStr(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const [key, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(value, key)) return false;
  const next = (value as Record<string, unknown>)[key];
  if (Array.isArray(next)) return next.some((item) => findInCreds(item, rest, match));
  return findInCreds(next, rest, match);
}

/** `str(ast.literal_eval(kind))` for the literals oslo policies use, else undefined. */
function pythonLiteral(kind: string): string | undefined {
  if (kind === 'True' || kind === 'False' || kind === 'None') return kind;
  const quoted = /^(['"])(.*)\1$/s.exec(kind);
  if (quoted) return quoted[2];
  if (/^[+-]?\d+$/.test(kind)) return String(BigInt(kind));
  return undefined;
}

/** Python's `str()` of a JSON-ish value (booleans are `True`/`False`, null is `None`). */
function pyStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}
