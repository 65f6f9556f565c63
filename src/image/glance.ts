/**
 * Kindling's image service: Cinder's `GlanceImageService` (cinder/image/glance.py) over Glance's
 * v2 API. Every call takes the caller's context: in keystone mode its token goes to Glance (so
 * Glance decides what the user may see, as with Cinder), and Glance's refusals come back as
 * Cinder's errors (`ImageNotFound`, `ImageNotAuthorized`, `GlanceConnectionFailed`, …).
 */
import { constants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import type { RequestContext } from '../common/context.js';
import { type CinderError, ImageDownloadFailed, InvalidImageRef } from '../common/errors.js';
import { DigestVerifier, expectedDigest, type ImageDigest } from './checksum.js';
import {
  GlanceClient,
  type GlanceCall,
  type GlanceClientDeps,
  type GlanceResponse,
} from './glance-client.js';
import { errorDetails, imageError, plainError } from './glance-errors.js';
import { glanceOptionsFromConfig, type GlanceOptions } from './glance-options.js';
import { readBody } from './http-transport.js';
import {
  type GlanceImage,
  type ImageCreateMeta,
  type ImageListFilters,
  type ImageLocation,
  type ImageMeta,
  type ImagePatchOp,
  propertyPatch,
  toGlanceBody,
  toImageMeta,
} from './image-record.js';

/** An image's data being downloaded. */
export interface ImageDownload {
  /** The image record read just before the data. */
  readonly image: GlanceImage;
  /**
   * The bytes. With verification on, the stream fails at its end with `ImageChecksumMismatch`
   * when they do not match the image's digest; any read error fails it with `ImageDownloadFailed`.
   */
  readonly stream: Readable;
  /** Bytes to expect (Content-Length, or the file's size), if known. */
  readonly size: number | null;
  /** The digest the bytes are checked against; null when not checked. */
  readonly expected: ImageDigest | null;
  /** `glance`: through the API; `file`: read from a file:// location (`allowed_direct_url_schemes`). */
  readonly source: 'glance' | 'file';
}

export interface DownloadOptions {
  /** Check the bytes against the image's digest (default true, as glanceclient). */
  readonly verify?: boolean;
}

export interface UploadOptions {
  /** Bytes of `data` when it is a stream: sent as Content-Length (else chunked). */
  readonly size?: number;
  /** A store of a multi-store Glance (`X-Image-Meta-Store`; Cinder's `image_service:store_id`). */
  readonly storeId?: string;
  /** The image the data came from (`X-Openstack-Base-Image-Ref`). */
  readonly baseImageRef?: string;
}

export interface ListOptions {
  /** Most images to return (default: all, following Glance's `next` links). */
  readonly limit?: number;
  readonly marker?: string;
  readonly sortKey?: string;
  readonly sortDir?: 'asc' | 'desc';
  /** Images per request (Glance's limit parameter; default 100). */
  readonly pageSize?: number;
}

/** A store of a multi-store Glance (GET /v2/info/stores). */
export interface GlanceStore {
  readonly id: string;
  readonly description?: string;
  readonly default?: boolean | string;
  readonly 'read-only'?: boolean | string;
}

const JSON_PATCH = 'application/openstack-images-v2.1-json-patch';

export class GlanceImageService {
  readonly #client: GlanceClient;

  constructor(options: GlanceOptions, deps: GlanceClientDeps = {}, client?: GlanceClient) {
    this.#client = client ?? new GlanceClient(options, deps);
  }

  /** The service of a configuration's `[DEFAULT]` glance options (Cinder's default image service). */
  static fromConfig(config: Pick<Config, 'DEFAULT'>, deps: GlanceClientDeps = {}): GlanceImageService {
    return new GlanceImageService(glanceOptionsFromConfig(config.DEFAULT), deps);
  }

  /**
   * The image record, as Glance shows it to the caller.
   * @throws ImageNotFound, ImageNotAuthorized, GlanceConnectionFailed
   */
  async show(ctx: RequestContext, imageId: string): Promise<GlanceImage> {
    return this.#json(ctx, { method: 'GET', path: imagePath(imageId) }, imageId);
  }

  /** Cinder's `show`: the record as Cinder's metadata dict (properties under `properties`). */
  async showMeta(ctx: RequestContext, imageId: string): Promise<ImageMeta> {
    return toImageMeta(await this.show(ctx, imageId));
  }

  /**
   * Cinder's `get_location`: the image's `direct_url` and `locations`, when Glance shows them
   * (`show_image_direct_url`, `show_multiple_locations`).
   */
  async getLocation(
    ctx: RequestContext,
    imageId: string,
  ): Promise<{ directUrl: string | null; locations: readonly ImageLocation[] }> {
    const image = await this.show(ctx, imageId);
    return { directUrl: image.direct_url ?? null, locations: image.locations ?? [] };
  }

  /**
   * The image's data as a stream (Cinder's `download`, glanceclient's `data()`): the record is read
   * first for its digest, then the data — from a file:// location directly when `file` is in
   * `allowed_direct_url_schemes` and the file is readable here, else through Glance.
   * @throws ImageNotFound, ImageNotAuthorized, GlanceConnectionFailed
   * @throws ImageDownloadFailed when the image has no data
   */
  async download(ctx: RequestContext, imageId: string, opts: DownloadOptions = {}): Promise<ImageDownload> {
    const verify = opts.verify ?? true;
    const image = await this.show(ctx, imageId);
    const direct = await this.#directFile(image);
    if (direct) {
      const expected = verify ? expectedDigest(image) : null;
      const stream = guarded(imageId, createReadStream(direct.path), expected);
      return { image, stream, size: direct.size, expected, source: 'file' };
    }
    const res = await this.#client.call(ctx, { method: 'GET', path: `${imagePath(imageId)}/file` });
    if (res.status === 204) {
      res.body.resume();
      throw new ImageDownloadFailed(imageId, 'image contains no data.');
    }
    if (res.status !== 200) throw await this.#error(res, (s, d) => imageError(imageId, s, d));
    const md5 = header(res, 'content-md5');
    const expected = verify ? expectedDigest(image, md5) : null;
    const length = header(res, 'content-length');
    return {
      image,
      stream: guarded(imageId, res.body, expected),
      size: length === undefined ? null : Number(length),
      expected,
      source: 'glance',
    };
  }

  /**
   * A new image record (`queued`, no data): Cinder's `create` without data.
   * @throws Invalid for what Glance refuses (400), NotAuthorized (403), GlanceConnectionFailed
   */
  async create(ctx: RequestContext, meta: ImageCreateMeta): Promise<GlanceImage> {
    const res = await this.#client.call(ctx, {
      method: 'POST',
      path: '/v2/images',
      body: toGlanceBody(meta),
    });
    if (res.status !== 201 && res.status !== 200) throw await this.#error(res, plainError);
    return parse<GlanceImage>(await readBody(res.body));
  }

  /**
   * Uploads the image's data (PUT /v2/images/{id}/file): a buffer, or a stream sent chunked unless
   * `size` is given. Glance computes size, checksum and hash and makes the image `active`. A
   * stream upload is not retried.
   * @throws ImageNotFound, ImageNotAuthorized, ImageLimitExceeded (over Glance's size cap or quota),
   *   GlanceRequestFailed (409: the image is not `queued`), GlanceConnectionFailed
   */
  async upload(
    ctx: RequestContext,
    imageId: string,
    data: Readable | Buffer,
    opts: UploadOptions = {},
  ): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (opts.size !== undefined && !Buffer.isBuffer(data)) headers['content-length'] = String(opts.size);
    if (opts.storeId) headers['x-image-meta-store'] = opts.storeId;
    if (opts.baseImageRef) headers['x-openstack-base-image-ref'] = opts.baseImageRef;
    const res = await this.#client.call(ctx, {
      method: 'PUT',
      path: `${imagePath(imageId)}/file`,
      headers,
      body: data,
    });
    if (res.status !== 204 && res.status !== 200 && res.status !== 201)
      throw await this.#error(res, (s, d) => imageError(imageId, s, d));
    res.body.resume();
  }

  /**
   * Applies a JSON patch (`application/openstack-images-v2.1-json-patch`) and returns the record.
   * @throws ImageNotFound, ImageNotAuthorized, Invalid, GlanceRequestFailed (409 for a property
   *   that cannot be added or removed), GlanceConnectionFailed
   */
  async update(ctx: RequestContext, imageId: string, ops: readonly ImagePatchOp[]): Promise<GlanceImage> {
    return this.#json(
      ctx,
      { method: 'PATCH', path: imagePath(imageId), headers: { 'content-type': JSON_PATCH }, body: ops },
      imageId,
    );
  }

  /** Sets (add or replace) and removes properties or attributes: reads the record, then patches it. */
  async updateProperties(
    ctx: RequestContext,
    imageId: string,
    set: Readonly<Record<string, unknown>>,
    remove: readonly string[] = [],
  ): Promise<GlanceImage> {
    const ops = propertyPatch(await this.show(ctx, imageId), set, remove);
    return ops.length ? this.update(ctx, imageId, ops) : this.show(ctx, imageId);
  }

  /**
   * Deletes the image and its data.
   * @throws ImageNotFound, ImageNotAuthorized, GlanceRequestFailed (403 for a protected image is
   *   ImageNotAuthorized), GlanceConnectionFailed
   */
  async delete(ctx: RequestContext, imageId: string): Promise<void> {
    const res = await this.#client.call(ctx, { method: 'DELETE', path: imagePath(imageId) });
    if (res.status !== 204 && res.status !== 200)
      throw await this.#error(res, (s, d) => imageError(imageId, s, d));
    res.body.resume();
  }

  /**
   * The images the caller sees that match `filters` (Cinder's `detail`), every page unless `limit`
   * says otherwise.
   * @throws Invalid (a filter Glance refuses), NotAuthorized, GlanceConnectionFailed
   */
  async list(
    ctx: RequestContext,
    filters: ImageListFilters = {},
    opts: ListOptions = {},
  ): Promise<GlanceImage[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v !== undefined) q.set(k, String(v));
    const pageSize = Math.min(opts.pageSize ?? 100, opts.limit ?? Infinity);
    q.set('limit', String(pageSize));
    if (opts.marker) q.set('marker', opts.marker);
    if (opts.sortKey) q.set('sort_key', opts.sortKey);
    if (opts.sortDir) q.set('sort_dir', opts.sortDir);
    const images: GlanceImage[] = [];
    let path: string | undefined = `/v2/images?${q.toString()}`;
    while (path) {
      const res = await this.#client.call(ctx, { method: 'GET', path });
      if (res.status !== 200) throw await this.#error(res, plainError);
      const page = parse<{ images: GlanceImage[]; next?: string }>(await readBody(res.body));
      images.push(...page.images);
      if (opts.limit !== undefined && images.length >= opts.limit) return images.slice(0, opts.limit);
      path = page.images.length ? page.next : undefined;
    }
    return images;
  }

  /** The stores of a multi-store Glance (Cinder's `get_stores`). */
  async stores(ctx: RequestContext): Promise<GlanceStore[]> {
    const res = await this.#client.call(ctx, { method: 'GET', path: '/v2/info/stores' });
    if (res.status !== 200) throw await this.#error(res, plainError);
    return parse<{ stores: GlanceStore[] }>(await readBody(res.body)).stores;
  }

  /** Ends idle connections to Glance. */
  close(): void {
    this.#client.close();
  }

  async #json<T>(ctx: RequestContext, call: GlanceCall, imageId: string): Promise<T> {
    const res = await this.#client.call(ctx, call);
    if (res.status !== 200) throw await this.#error(res, (s, d) => imageError(imageId, s, d));
    return parse<T>(await readBody(res.body));
  }

  async #error(
    res: GlanceResponse,
    translate: (status: number, details: string) => CinderError,
  ): Promise<CinderError> {
    const body = (await readBody(res.body).catch(() => Buffer.alloc(0))).toString('utf8');
    return translate(res.status, errorDetails(header(res, 'content-type'), body, res.status));
  }

  /** A readable file:// location of `image`, when `file` is an allowed direct URL scheme. */
  async #directFile(image: GlanceImage): Promise<{ path: string; size: number | null } | null> {
    if (!this.#client.options.allowedDirectUrlSchemes.includes('file')) return null;
    const urls = [image.direct_url, ...(image.locations ?? []).map((l) => l.url)];
    for (const url of urls) {
      if (!url?.startsWith('file://')) continue;
      const path = fileURLToPath(url);
      try {
        await access(path, constants.R_OK);
        return { path, size: image.size };
      } catch {
        // not here (another machine's store): try the next location, then Glance
      }
    }
    return null;
  }
}

/**
 * Cinder's `get_remote_image_service`: an image href that is a URL (`http://glance:9292/v2/images/
 * <id>`, as Nova may send) names its own Glance; a bare id uses the configured ones.
 * @throws InvalidImageRef for a URL that does not parse
 */
export function getRemoteImageService(
  options: GlanceOptions,
  imageHref: string,
  deps: GlanceClientDeps = {},
): { service: GlanceImageService; imageId: string } {
  if (!imageHref.includes('/')) return { service: new GlanceImageService(options, deps), imageId: imageHref };
  let url: URL;
  try {
    url = new URL(imageHref.includes('//') ? imageHref : `http://${imageHref}`);
  } catch {
    throw new InvalidImageRef(imageHref);
  }
  const imageId = url.pathname.split('/').pop() ?? '';
  if (!imageId || !url.host) throw new InvalidImageRef(imageHref);
  // NOTE: as Cinder, the server is the href's scheme and host (its path prefix is dropped).
  const client = new GlanceClient(options, deps, `${url.protocol}//${url.host}`);
  return { service: new GlanceImageService(options, deps, client), imageId };
}

function imagePath(imageId: string): string {
  return `/v2/images/${encodeURIComponent(imageId)}`;
}

function header(res: GlanceResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parse<T>(body: Buffer): T {
  return JSON.parse(body.toString('utf8')) as T;
}

/**
 * `source` through a digest check (when `expected`), with every read error turned into
 * `ImageDownloadFailed`; destroying the result stops the source.
 */
function guarded(imageId: string, source: Readable, expected: ImageDigest | null): Readable {
  const out: Transform = expected ? new DigestVerifier(imageId, expected) : new PassThrough();
  source.on('error', (err: Error) => {
    out.destroy(
      err instanceof ImageDownloadFailed ? err : new ImageDownloadFailed(imageId, `IOError: ${err.message}`),
    );
  });
  out.on('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  source.pipe(out);
  return out;
}
