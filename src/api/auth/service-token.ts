import type { KeystoneClient, PasswordCredentials } from './keystone-client.js';

/**
 * keystoneauth's rule: a token with less than this left is renewed before it is used, so a
 * validation never goes out with a token that expires on the way.
 */
export const MIN_TOKEN_LIFE_MS = 120_000;

/**
 * Kindling's own token (`[keystone_authtoken]` user), fetched on first use and renewed shortly
 * before it expires or when Keystone rejects it. Concurrent callers share one request.
 */
export class ServiceToken {
  #current: { token: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(
    private readonly client: KeystoneClient,
    private readonly creds: PasswordCredentials,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token good for at least {@link MIN_TOKEN_LIFE_MS}. */
  async get(): Promise<string> {
    const cur = this.#current;
    if (cur && cur.expiresAt - this.now() > MIN_TOKEN_LIFE_MS) return cur.token;
    this.#pending ??= this.client
      .authenticate(this.creds)
      .then((t) => {
        this.#current = t;
        return t.token;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  /** Forgets `token` (Keystone rejected it), so the next `get` authenticates again. */
  invalidate(token: string): void {
    if (this.#current?.token === token) this.#current = undefined;
  }
}
