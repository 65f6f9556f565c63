/**
 * Microversions of the Block Storage API v3 (Cinder's `api_version_request.py` plus the header
 * negotiation in `api/openstack/wsgi.py`): parse `OpenStack-API-Version: volume 3.x`, clamp to the
 * supported range, and compare versions in controllers and views.
 */
import { BadRequest, InvalidAPIVersionString, VersionNotSupported } from '../common/errors.js';
import { pythonRepr } from '../common/strutils.js';

/** Oldest microversion served. */
export const MIN_VERSION = '3.0';
/** Newest microversion served (what `latest` means). */
export const MAX_VERSION = '3.70';

/** The standard request/response header (compare names case-insensitively). */
export const API_VERSION_HEADER = 'OpenStack-API-Version';
/** The pre-standard header some clients still send; its value is only the version. */
export const LEGACY_VERSION_HEADER = 'OpenStack-Volume-microversion';

const VERSION_RE = /^([1-9]\d*)\.([1-9]\d*|0)$/;
const SERVICE = 'volume';
/** webob's generic 400 text, which Cinder shows when the version cannot be found in the header. */
const MALFORMED =
  'The server could not comply with the request since it is either malformed or otherwise incorrect.';

/**
 * The versions compared against as string literals (`v.gte('3.63')`), parsed once each: the views
 * compare a handful per volume, so a list of 100 volumes parsed hundreds of strings per request.
 */
const LITERALS = new Map<string, APIVersion>();

function literalVersion(text: string): APIVersion {
  let v = LITERALS.get(text);
  if (v === undefined) {
    v = APIVersion.parse(text);
    if (LITERALS.size < 1000) LITERALS.set(text, v);
  }
  return v;
}

/** An immutable `major.minor` API version. */
export class APIVersion {
  private constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  /** Parse `"3.27"`; throws {@link InvalidAPIVersionString} for `"3"`, `"3.07"`, `"v3.1"`, …. */
  static parse(text: string): APIVersion {
    const m = VERSION_RE.exec(text);
    if (!m) throw new InvalidAPIVersionString(text);
    return new APIVersion(Number(m[1]), Number(m[2]));
  }

  /** Negative, zero or positive as this version is older than, equal to or newer than `other`. */
  compare(other: APIVersion | string): number {
    const o = typeof other === 'string' ? literalVersion(other) : other;
    return this.major - o.major || this.minor - o.minor;
  }

  /** `this >= other` (the usual "feature exists from 3.x on" test). */
  gte(other: APIVersion | string): boolean {
    return this.compare(other) >= 0;
  }

  /** `this <= other`. */
  lte(other: APIVersion | string): boolean {
    return this.compare(other) <= 0;
  }

  /** `this > other`. */
  gt(other: APIVersion | string): boolean {
    return this.compare(other) > 0;
  }

  /** `this < other`. */
  lt(other: APIVersion | string): boolean {
    return this.compare(other) < 0;
  }

  /** `min <= this <= max` (Cinder's `matches`). */
  between(min: APIVersion | string, max: APIVersion | string): boolean {
    return this.gte(min) && this.lte(max);
  }

  /** `"3.27"`. */
  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/** {@link MIN_VERSION} as an {@link APIVersion}. */
export const MIN_API_VERSION = APIVersion.parse(MIN_VERSION);
/** {@link MAX_VERSION} as an {@link APIVersion}. */
export const MAX_API_VERSION = APIVersion.parse(MAX_VERSION);

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Case-insensitive header lookup; repeated headers are joined with `,` as HTTP allows. */
function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === 'string' ? value : value.join(',');
  }
  return undefined;
}

/** Resolve `latest` or a version string and check it is in range. */
function resolve(text: string): APIVersion {
  if (text === 'latest') return MAX_API_VERSION;
  const version = APIVersion.parse(text);
  if (!version.between(MIN_API_VERSION, MAX_API_VERSION)) {
    throw new VersionNotSupported(text, MIN_VERSION, MAX_VERSION);
  }
  return version;
}

/**
 * The microversion a request asks for. Reads `OpenStack-API-Version` (first comma-separated
 * element containing `volume`, e.g. `volume 3.44`, `volume latest`), else the legacy
 * `OpenStack-Volume-microversion` (`3.44`); neither → `3.0`.
 *
 * @throws BadRequest when the standard header has no `volume` element, or one that is not two
 *   words (Cinder answers that with a 500).
 * @throws InvalidAPIVersionString (400) for a malformed version.
 * @throws VersionNotSupported (406) outside 3.0..3.70.
 */
export function negotiateVersion(headers: Headers): APIVersion {
  const standard = header(headers, API_VERSION_HEADER);
  if (standard !== undefined) {
    const element = standard.split(',').find((e) => e.includes(SERVICE));
    if (element === undefined) throw new BadRequest(MALFORMED);
    const words = element.trim().split(/\s+/);
    // NOTE: Cinder unpacks `service, version = hdr.split()`; any other word count is a
    // ValueError there, which its fault middleware turns into a generic 500. A header the client
    // got wrong is a 400 here (a deliberate difference, see the README).
    if (words.length !== 2) {
      throw new BadRequest(
        `Invalid ${API_VERSION_HEADER} header: ${pythonRepr(element.trim())}. Expected 'volume <major>.<minor>' or 'volume latest'.`,
      );
    }
    return resolve(words[1] ?? '');
  }
  const legacy = header(headers, LEGACY_VERSION_HEADER);
  if (legacy !== undefined) return resolve(legacy.trim());
  return MIN_API_VERSION;
}

/** The value of the `OpenStack-API-Version` response header for `version`: `volume 3.x`. */
export function versionHeaderValue(version: APIVersion): string {
  return `${SERVICE} ${version.toString()}`;
}
