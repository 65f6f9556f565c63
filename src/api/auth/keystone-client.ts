/**
 * The two Keystone v3 calls Kindling makes (Node's fetch): password authentication of its own
 * user, and validation of a caller's token with that user's token.
 */
import { parseTokenBody, type TokenInfo } from './token-info.js';

/** Keystone could not be asked (down, slow, or refusing Kindling's own credentials): a 503. */
export class KeystoneUnavailable extends Error {}

/** Keystone refused the service token used to validate (401): get a new one and retry. */
export class ServiceTokenRejected extends Error {}

export interface KeystoneClientOptions {
  /** `auth_url`, with or without `/v3`. */
  readonly authUrl: string;
  readonly timeoutMs: number;
  /** Retries of a request that could not connect. */
  readonly maxRetries: number;
  readonly fetch?: typeof fetch;
}

/** Password credentials scoped to a project, all by name (`[keystone_authtoken]`). */
export interface PasswordCredentials {
  readonly username: string;
  readonly password: string;
  readonly userDomainName: string;
  readonly projectName: string;
  readonly projectDomainName: string;
}

export class KeystoneClient {
  readonly #tokensUrl: string;
  readonly #fetch: typeof fetch;

  constructor(private readonly opts: KeystoneClientOptions) {
    this.#tokensUrl = `${identityRoot(opts.authUrl)}/v3/auth/tokens`;
    this.#fetch = opts.fetch ?? fetch;
  }

  /** A project-scoped token for `creds` and when it expires (ms since the epoch). */
  async authenticate(creds: PasswordCredentials): Promise<{ token: string; expiresAt: number }> {
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: creds.username, domain: { name: creds.userDomainName }, password: creds.password },
          },
        },
        scope: { project: { name: creds.projectName, domain: { name: creds.projectDomainName } } },
      },
    };
    const res = await this.#send(`${this.#tokensUrl}?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 201)
      throw new KeystoneUnavailable(
        `Keystone refused Kindling's own credentials (user ${creds.username}): ${res.status} ${text.slice(0, 200)}`,
      );
    const token = res.headers.get('x-subject-token');
    const info = parseTokenBody(safeJson(text));
    if (!token || !info) throw new KeystoneUnavailable('Keystone answered a token request without a token');
    return { token, expiresAt: info.expiresAt };
  }

  /**
   * What `subjectToken` says, or null when Keystone does not know it (404: bad, revoked, or expired
   * unless `allowExpired`).
   * @throws ServiceTokenRejected when Keystone refuses `serviceToken` (401)
   * @throws KeystoneUnavailable for anything else that is not an answer about the token
   */
  async validate(
    subjectToken: string,
    serviceToken: string,
    opts: { allowExpired?: boolean; catalog?: boolean } = {},
  ): Promise<TokenInfo | null> {
    const query = [opts.catalog === false ? 'nocatalog' : '', opts.allowExpired ? 'allow_expired=1' : '']
      .filter(Boolean)
      .join('&');
    const res = await this.#send(query ? `${this.#tokensUrl}?${query}` : this.#tokensUrl, {
      method: 'GET',
      headers: { 'x-auth-token': serviceToken, 'x-subject-token': subjectToken, accept: 'application/json' },
    });
    const text = await res.text();
    if (res.status === 404) return null;
    if (res.status === 401) throw new ServiceTokenRejected('Keystone rejected the service token');
    if (res.status !== 200)
      throw new KeystoneUnavailable(
        `Keystone answered ${res.status} to a token validation: ${text.slice(0, 200)}`,
      );
    const info = parseTokenBody(safeJson(text));
    if (!info) throw new KeystoneUnavailable('Keystone answered a token validation with no usable token');
    return info;
  }

  /** One request, retried when it could not connect; a timeout or the last failure is a 503. */
  async #send(url: string, init: RequestInit): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#fetch(url, { ...init, signal: AbortSignal.timeout(this.opts.timeoutMs) });
      } catch (err) {
        const e = err as Error;
        const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
        if (timedOut || attempt >= this.opts.maxRetries)
          throw new KeystoneUnavailable(
            `Keystone at ${url} ${timedOut ? 'did not answer in time' : `is unreachable: ${causeOf(e)}`}`,
          );
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }
}

/** `http://host:5000/v3/` and `http://host:5000` both name the identity root `http://host:5000`. */
export function identityRoot(authUrl: string): string {
  return authUrl.replace(/\/+$/, '').replace(/\/v3$/, '');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function causeOf(e: Error): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? e.message;
}
