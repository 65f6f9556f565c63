/**
 * Keystone token authentication (keystonemiddleware's `auth_token` plus Cinder's
 * `CinderKeystoneContext`): validates `X-Auth-Token` (and an `X-Service-Token` sent along) with
 * Keystone, caches validations, and builds the request context from what the token says.
 *
 * Revocation: a validation is cached for `token_cache_time` seconds, so a token revoked in
 * Keystone keeps working here until its cache entry expires (at most that long). Expiry is checked
 * on every request, cached or not.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../../common/context.js';
import type { PolicyCredentials } from '../../auth/policy-engine.js';
import { policyCredentials } from '../../auth/policy-enforcer.js';
import { KeystoneUnavailable, ServiceTokenRejected, type KeystoneClient } from './keystone-client.js';
import type { ServiceToken } from './service-token.js';
import { TtlCache } from './token-cache.js';
import type { TokenInfo } from './token-info.js';

export interface KeystoneAuthOptions {
  readonly client: KeystoneClient;
  readonly serviceToken: ServiceToken;
  /** Seconds a validation is cached (<= 0: none). */
  readonly tokenCacheTime: number;
  readonly serviceTokenRoles: readonly string[];
  readonly serviceTokenRolesRequired: boolean;
  readonly includeServiceCatalog: boolean;
  /** Cinder's `check_is_admin` (the `context_is_admin` policy rule). */
  readonly isAdmin: (creds: PolicyCredentials) => boolean;
  readonly now?: () => number;
  /**
   * Validations of new tokens sent to Keystone at once (default 16); more wait their turn. A
   * cached token never waits: it costs no round trip at all.
   */
  readonly maxConcurrentValidations?: number;
  /** Hears why a request was refused or Keystone could not be asked. */
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** The context of an authenticated request, or why there is none (401, or 503 for Keystone down). */
export type AuthResult =
  { readonly ok: true; readonly ctx: RequestContext } | { readonly ok: false; readonly status: 401 | 503 };

const UNAUTHORIZED = { ok: false, status: 401 } as const;

export class KeystoneAuthenticator {
  readonly #cache: TtlCache<TokenInfo>;
  readonly #inflight = new Map<string, Promise<TokenInfo | null>>();
  readonly #now: () => number;
  readonly #maxValidations: number;
  #validating = 0;
  /** Validations waiting for one of the `#maxValidations` slots, first come first served. */
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly opts: KeystoneAuthOptions) {
    this.#now = opts.now ?? Date.now;
    this.#maxValidations = Math.max(1, opts.maxConcurrentValidations ?? 16);
    this.#cache = new TtlCache(opts.tokenCacheTime * 1000, 10_000, this.#now);
  }

  async authenticate(headers: IncomingHttpHeaders, requestId: string): Promise<AuthResult> {
    try {
      return await this.#authenticate(headers, requestId);
    } catch (err) {
      if (!(err instanceof KeystoneUnavailable)) throw err;
      this.opts.log?.('error', `Unable to validate token: ${err.message}`);
      return { ok: false, status: 503 };
    }
  }

  async #authenticate(headers: IncomingHttpHeaders, requestId: string): Promise<AuthResult> {
    const userToken = header(headers, 'x-auth-token');
    if (!userToken) return UNAUTHORIZED;

    let service: TokenInfo | undefined;
    let allowExpired = false;
    const serviceToken = header(headers, 'x-service-token');
    if (serviceToken) {
      const s = await this.#tokenInfo(serviceToken, false);
      if (!s || s.expiresAt <= this.#now()) {
        this.opts.log?.('info', 'Invalid service token');
        return UNAUTHORIZED;
      }
      const hasRole = s.roles.some((r) => this.opts.serviceTokenRoles.includes(r));
      if (!hasRole && this.opts.serviceTokenRolesRequired) {
        this.opts.log?.('info', 'Service token without any of service_token_roles');
        return UNAUTHORIZED;
      }
      service = s;
      // NOTE: as keystonemiddleware, only a service token with a service role lets an expired
      // user token through (a long operation started by a service on the user's behalf).
      allowExpired = hasRole;
    }

    const user = await this.#tokenInfo(userToken, allowExpired);
    if (!user || (!allowExpired && user.expiresAt <= this.#now())) {
      this.opts.log?.('info', 'Invalid user token');
      return UNAUTHORIZED;
    }
    return { ok: true, ctx: this.#context(user, service, userToken, requestId) };
  }

  /** The token's validation, from the cache or from Keystone; null when Keystone does not know it. */
  async #tokenInfo(token: string, allowExpired: boolean): Promise<TokenInfo | null> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const flightKey = `${key}:${allowExpired}`;
    let flight = this.#inflight.get(flightKey);
    if (!flight) {
      flight = this.#bounded(() => this.#validate(token, allowExpired)).finally(() =>
        this.#inflight.delete(flightKey),
      );
      this.#inflight.set(flightKey, flight);
    }
    const info = await flight;
    if (info) this.#cache.set(key, info);
    return info;
  }

  /** Runs `fn` in one of the validation slots, waiting for a free one. */
  async #bounded<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#validating < this.#maxValidations) this.#validating++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // NOTE: the slot passes straight to the next waiter, so the count stays as it is.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#validating--;
    }
  }

  async #validate(token: string, allowExpired: boolean): Promise<TokenInfo | null> {
    const opts = { allowExpired, catalog: this.opts.includeServiceCatalog };
    const serviceToken = await this.opts.serviceToken.get();
    try {
      return await this.opts.client.validate(token, serviceToken, opts);
    } catch (err) {
      if (!(err instanceof ServiceTokenRejected)) throw err;
      // Kindling's own token was revoked or expired early: once more with a new one.
      this.opts.serviceToken.invalidate(serviceToken);
      try {
        return await this.opts.client.validate(token, await this.opts.serviceToken.get(), opts);
      } catch (again) {
        if (again instanceof ServiceTokenRejected)
          throw new KeystoneUnavailable(
            'Identity server rejected authorization necessary to fetch token data',
          );
        throw again;
      }
    }
  }

  #context(
    user: TokenInfo,
    service: TokenInfo | undefined,
    token: string,
    requestId: string,
  ): RequestContext {
    const base: RequestContext = {
      userId: user.userId,
      projectId: user.projectId,
      isAdmin: false,
      roles: user.roles,
      requestId,
      authToken: token,
      userName: user.userName,
      projectName: user.projectName,
      userDomainId: user.userDomainId,
      userDomainName: user.userDomainName,
      projectDomainId: user.projectDomainId,
      projectDomainName: user.projectDomainName,
      domainId: user.domainId,
      systemScope: user.systemScope,
      isAdminProject: user.isAdminProject,
      serviceCatalog: user.catalog,
      ...(service && {
        serviceUserId: service.userId,
        serviceProjectId: service.projectId,
        serviceRoles: service.roles,
      }),
    };
    return { ...base, isAdmin: this.opts.isAdmin(policyCredentials(base)) };
  }
}

/** A header's value, trimmed (keystonemiddleware strips white space a client left around a token). */
function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
}
