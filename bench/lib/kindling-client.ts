/**
 * A minimal Block Storage v3 client for the benchmarks: one undici keep-alive Pool, noauth token
 * `admin:<project>`, JSON in and out. Only what the benchmarks call.
 */
import { Pool } from 'undici';

/** A volume as the detail views return it (only the fields the benchmarks read). */
export interface VolumeView {
  id: string;
  status: string;
}

/** An HTTP answer the benchmark did not expect. */
export class UnexpectedResponse extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    body: string,
  ) {
    super(`${method} ${path} -> ${status}: ${body.slice(0, 500)}`);
    this.name = 'UnexpectedResponse';
  }
}

/** Talks to one Kindling (or Cinder in noauth mode) endpoint for one project. */
export class KindlingClient {
  readonly #pools: Pool[];
  #next = 0;
  readonly #headers: Record<string, string>;
  /** `/v3/<project>`: the prefix of every resource path. */
  readonly base: string;
  /** The project it acts in. */
  readonly project: string;

  /**
   * `url` is the server root (`http://127.0.0.1:8776`), or several separated by commas (API
   * processes of one deployment: requests go to each in turn); `connections` caps each socket pool.
   * `token` is sent as `X-Auth-Token`: by default the noauth token of an admin in `project`; a
   * Keystone token (scoped to `project`) in keystone mode.
   */
  constructor(url: string, project: string, connections: number, token = `admin:${project}`) {
    this.#pools = url
      .split(',')
      .map(
        (u) => new Pool(new URL(u.trim()).origin, { connections, keepAliveTimeout: 60_000, pipelining: 1 }),
      );
    this.#headers = {
      'x-auth-token': token,
      accept: 'application/json',
      'content-type': 'application/json',
    };
    this.project = project;
    this.base = `/v3/${encodeURIComponent(project)}`;
  }

  /** Sends one request and returns status and parsed JSON (or `undefined` for an empty body). */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const pool = this.#pools[this.#next++ % this.#pools.length]!;
    const res = await pool.request({
      method,
      path,
      headers: this.#headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    let json: unknown;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        throw new UnexpectedResponse(method, path, res.statusCode, text);
      }
    }
    return { status: res.statusCode, json };
  }

  /** Like {@link request}, but throws unless the status is `expected`. */
  async expect(expected: number, method: string, path: string, body?: unknown): Promise<unknown> {
    const r = await this.request(method, path, body);
    if (r.status !== expected) {
      throw new UnexpectedResponse(method, path, r.status, JSON.stringify(r.json) ?? '');
    }
    return r.json;
  }

  /** Makes the project's volume and gigabyte quotas unlimited. */
  async unlimitedQuota(project: string): Promise<void> {
    await this.expect(200, 'PUT', `${this.base}/os-quota-sets/${encodeURIComponent(project)}`, {
      quota_set: { volumes: -1, gigabytes: -1 },
    });
  }

  /** `POST /volumes` (expects 202) and returns the new volume's id. */
  async createVolume(sizeGb: number): Promise<string> {
    const json = (await this.expect(202, 'POST', `${this.base}/volumes`, { volume: { size: sizeGb } })) as {
      volume?: VolumeView;
    };
    if (typeof json.volume?.id !== 'string') throw new Error(`create answered without an id`);
    return json.volume.id;
  }

  /** `GET /volumes/<id>`; `undefined` when the volume is gone (404). */
  async getVolume(id: string): Promise<VolumeView | undefined> {
    const r = await this.request('GET', `${this.base}/volumes/${id}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200)
      throw new UnexpectedResponse('GET', `/volumes/${id}`, r.status, JSON.stringify(r.json));
    return (r.json as { volume: VolumeView }).volume;
  }

  /** `GET /volumes/detail?<query>` following `next` links; every page is requested in turn. */
  async listDetail(query: string): Promise<VolumeView[]> {
    const out: VolumeView[] = [];
    let path: string | undefined = `${this.base}/volumes/detail?${query}`;
    while (path !== undefined) {
      const json = (await this.expect(200, 'GET', path)) as {
        volumes: VolumeView[];
        volumes_links?: { rel: string; href: string }[];
      };
      out.push(...json.volumes);
      const next = json.volumes_links?.find((l) => l.rel === 'next')?.href;
      path = next === undefined || json.volumes.length === 0 ? undefined : pathOf(next);
    }
    return out;
  }

  /** `DELETE /volumes/<id>` (expects 202; a volume already gone counts as deleted). */
  async deleteVolume(id: string): Promise<void> {
    const r = await this.request('DELETE', `${this.base}/volumes/${id}`);
    if (r.status !== 202 && r.status !== 404) {
      throw new UnexpectedResponse('DELETE', `/volumes/${id}`, r.status, JSON.stringify(r.json));
    }
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.close()));
  }
}

/** Path and query of an absolute link (`next` hrefs carry the server's host). */
function pathOf(href: string): string {
  const u = new URL(href, 'http://placeholder');
  return `${u.pathname}${u.search}`;
}
