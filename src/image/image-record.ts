/**
 * Glance's v2 image record, and Cinder's two views of it: the metadata dict Cinder's flows read
 * (`_translate_from_glance`: the base attributes, and every other key under `properties`) and the
 * body it sends to create an image (`_translate_to_glance`: properties flattened back, read-only
 * attributes dropped).
 */

export type ImageStatus =
  | 'queued'
  | 'saving'
  | 'uploading'
  | 'importing'
  | 'active'
  | 'deactivated'
  | 'killed'
  | 'deleted'
  | 'pending_delete';

/** One location of an image's data (shown when Glance has `show_multiple_locations`). */
export interface ImageLocation {
  /** `file:///…`, `rbd://<fsid>/<pool>/<image>/<snap>`, `cinder://…`, … */
  readonly url: string;
  /** Glance's location metadata; `store` names the store of a multi-store Glance. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** An image as Glance's v2 API shows it: the base attributes and, at the top level, any property. */
export interface GlanceImage {
  readonly id: string;
  readonly name: string | null;
  readonly status: ImageStatus;
  readonly visibility: 'public' | 'private' | 'shared' | 'community';
  readonly protected: boolean;
  readonly os_hidden: boolean;
  readonly owner: string | null;
  /** md5 of the data (null until uploaded). */
  readonly checksum: string | null;
  /** The "multihash": algorithm (`sha512`) and hex digest of the data. */
  readonly os_hash_algo: string | null;
  readonly os_hash_value: string | null;
  readonly size: number | null;
  readonly virtual_size: number | null;
  readonly disk_format: string | null;
  readonly container_format: string | null;
  readonly min_disk: number;
  readonly min_ram: number;
  readonly tags: readonly string[];
  readonly created_at: string;
  readonly updated_at: string;
  /** With `show_image_direct_url`: the best location's URL. */
  readonly direct_url?: string;
  /** With `show_multiple_locations`: every location. */
  readonly locations?: readonly ImageLocation[];
  /** Multi-store Glance: the stores holding the data, comma-separated. */
  readonly stores?: string;
  readonly self: string;
  readonly file: string;
  readonly schema: string;
  readonly [property: string]: unknown;
}

/**
 * The attributes of Glance's image schema that are not properties (`is_base` in
 * `/v2/schemas/image`; test/image/glance.test.ts compares with a live Glance).
 */
export const BASE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'checksum',
  'container_format',
  'created_at',
  'direct_url',
  'disk_format',
  'file',
  'id',
  'locations',
  'min_disk',
  'min_ram',
  'name',
  'os_hash_algo',
  'os_hash_value',
  'os_hidden',
  'owner',
  'protected',
  'schema',
  'self',
  'size',
  'status',
  'stores',
  'tags',
  'updated_at',
  'virtual_size',
  'visibility',
]);

/**
 * Cinder's image metadata: the base attributes (without `schema`), every other key under
 * `properties`, and `cinder_encryption_key_id` in both places.
 */
export type ImageMeta = Omit<GlanceImage, 'schema' | 'self' | 'file'> & {
  readonly self?: string;
  readonly file?: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly cinder_encryption_key_id?: string;
};

/** Properties Cinder keeps JSON-encoded in Glance (`_CONVERT_PROPS`). */
const JSON_PROPERTIES = ['block_device_mapping', 'mappings'];

/** Cinder's `_translate_from_glance` (timestamps stay ISO strings). */
export function toImageMeta(image: GlanceImage): ImageMeta {
  const base: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(image)) {
    if (k === 'schema') continue;
    (BASE_ATTRIBUTES.has(k) ? base : properties)[k] = v;
  }
  for (const k of JSON_PROPERTIES) {
    const v = properties[k];
    if (typeof v === 'string') {
      try {
        properties[k] = JSON.parse(v);
      } catch {
        // NOTE: Cinder would fail here; a property that is not JSON is kept as the string
      }
    }
  }
  if ('cinder_encryption_key_id' in image) base.cinder_encryption_key_id = image.cinder_encryption_key_id;
  return { ...base, properties };
}

/** What a new image may say (Cinder's image_meta for `create`). */
export interface ImageCreateMeta {
  readonly id?: string;
  readonly name?: string;
  readonly disk_format?: string;
  readonly container_format?: string;
  readonly visibility?: 'public' | 'private' | 'shared' | 'community';
  readonly protected?: boolean;
  readonly os_hidden?: boolean;
  readonly min_disk?: number;
  readonly min_ram?: number;
  readonly tags?: readonly string[];
  /** Custom properties (string values; `block_device_mapping`/`mappings` may be objects). */
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly [attribute: string]: unknown;
}

const READ_ONLY_META = ['status', 'updated_at', 'created_at', 'deleted_at'];

/** Cinder's `_translate_to_glance`: the body of POST /v2/images. */
export function toGlanceBody(meta: ImageCreateMeta): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (k === 'properties' || READ_ONLY_META.includes(k) || v === undefined) continue;
    body[k] = v;
  }
  for (const [k, v] of Object.entries(meta.properties ?? {})) {
    body[k] = JSON_PROPERTIES.includes(k) && typeof v !== 'string' ? JSON.stringify(v) : v;
  }
  return body;
}

/** One operation of an `application/openstack-images-v2.1-json-patch` body. */
export type ImagePatchOp =
  | { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** A JSON pointer to a top-level attribute or property (`~` and `/` escaped). */
export function attributePath(name: string): string {
  return `/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/**
 * The patch that sets `set` and removes `remove` on `current`, as glanceclient builds it: `replace`
 * for an attribute the image has, `add` for a new one, `remove` only for one it has.
 */
export function propertyPatch(
  current: GlanceImage,
  set: Readonly<Record<string, unknown>>,
  remove: readonly string[] = [],
): ImagePatchOp[] {
  const ops: ImagePatchOp[] = [];
  for (const [k, value] of Object.entries(set)) {
    ops.push({ op: k in current ? 'replace' : 'add', path: attributePath(k), value });
  }
  for (const k of remove) {
    if (Object.hasOwn(current, k) && !Object.hasOwn(set, k))
      ops.push({ op: 'remove', path: attributePath(k) });
  }
  return ops;
}

/** Filters of GET /v2/images (`name`, `status`, `visibility`, `owner`, `tag`, `size_min`, …). */
export type ImageListFilters = Readonly<Record<string, string | number | boolean | undefined>>;
