/**
 * A stand-in for Keystone v3's token API on a local port, for unit-level tests of keystone mode:
 * password authentication of the service user, token validation (`GET /v3/auth/tokens`) with
 * 404 for unknown, revoked or expired tokens, and counters of what was asked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface FakeToken {
  userId: string;
  userName?: string;
  projectId: string | null;
  projectName?: string;
  roles: string[];
  /** Milliseconds since the epoch. */
  expiresAt: number;
  catalog?: unknown[];
}

export class FakeKeystone {
  readonly tokens = new Map<string, FakeToken>();
  readonly revoked = new Set<string>();
  /** Service-user password authentications answered. */
  authentications = 0;
  /** Validations answered (any status). */
  validations = 0;
  /** Query strings of the validations. */
  readonly validationQueries: string[] = [];
  /** When set, every request is answered with this status (e.g. 500). */
  failWith: number | undefined;
  /** Lifetime of service tokens the fake issues. */
  serviceTokenLifeMs = 3_600_000;
  #server: Server | undefined;

  constructor(
    readonly service = { username: 'kindling', password: 'secret', project: 'service' },
    private readonly now: () => number = Date.now,
  ) {}

  get url(): string {
    const addr = this.#server?.address() as AddressInfo;
    return `http://127.0.0.1:${addr.port}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }

  /** Issues a user token (as Keystone would to a client). */
  issue(t: Partial<FakeToken> & { userId: string; projectId: string | null }): string {
    const token = `tok-${randomUUID()}`;
    this.tokens.set(token, { roles: [], expiresAt: this.now() + 3_600_000, ...t });
    return token;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    if (url.pathname !== '/v3/auth/tokens') return send(404, { error: { code: 404 } });
    if (req.method === 'GET') this.validations++;
    if (this.failWith) return send(this.failWith, { error: { code: this.failWith } });

    if (req.method === 'POST') {
      const auth = JSON.parse(body) as {
        auth: { identity: { password: { user: { name: string; password: string } } }; scope: unknown };
      };
      const user = auth.auth.identity.password.user;
      if (user.name !== this.service.username || user.password !== this.service.password)
        return send(401, { error: { code: 401 } });
      this.authentications++;
      const token = this.issue({
        userId: 'kindling-user',
        projectId: 'service-project',
        roles: ['service'],
        expiresAt: this.now() + this.serviceTokenLifeMs,
      });
      return send(201, { token: this.#view(this.tokens.get(token)!) }, { 'x-subject-token': token });
    }

    const caller = this.#valid(String(req.headers['x-auth-token'] ?? ''), false);
    if (!caller?.roles.includes('service')) return send(401, { error: { code: 401 } });
    this.validationQueries.push(url.search);
    const subject = this.#valid(
      String(req.headers['x-subject-token'] ?? ''),
      url.searchParams.has('allow_expired'),
    );
    if (!subject) return send(404, { error: { code: 404, message: 'Could not recognize Fernet token' } });
    const view = this.#view(subject);
    if (url.searchParams.has('nocatalog')) delete view.catalog;
    return send(200, { token: view }, { 'x-subject-token': String(req.headers['x-subject-token']) });
  }

  #valid(token: string, allowExpired: boolean): FakeToken | undefined {
    const t = this.tokens.get(token);
    if (!t || this.revoked.has(token)) return undefined;
    if (!allowExpired && t.expiresAt <= this.now()) return undefined;
    return t;
  }

  #view(t: FakeToken): Record<string, unknown> {
    return {
      methods: ['password'],
      user: { id: t.userId, name: t.userName ?? t.userId, domain: { id: 'default', name: 'Default' } },
      ...(t.projectId && {
        project: {
          id: t.projectId,
          name: t.projectName ?? t.projectId,
          domain: { id: 'default', name: 'Default' },
        },
      }),
      roles: t.roles.map((name) => ({ id: `id-${name}`, name })),
      expires_at: new Date(t.expiresAt).toISOString(),
      issued_at: new Date(this.now()).toISOString(),
      catalog: t.catalog ?? [],
    };
  }
}
