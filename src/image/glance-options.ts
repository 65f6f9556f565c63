/**
 * What the Glance client needs from the configuration: the `[DEFAULT]` glance options (Cinder's
 * names, see src/config/options.ts) gathered into one object, so the client can also be made
 * without a whole `Config` (tests, tools).
 */
import type { DefaultSection } from '../config/config.js';

/** Options of a {@link GlanceImageService}. */
export interface GlanceOptions {
  /** `auth_strategy`: keystone sends the caller's token, noauth {@link noauthToken}. */
  readonly authStrategy: 'noauth' | 'keystone';
  /** `glance_api_servers`; empty: the caller's service catalog ({@link catalogInfo}). */
  readonly apiServers: readonly string[];
  /** `glance_catalog_info`: `<service_type>:<service_name>:<endpoint_type>`. */
  readonly catalogInfo: string;
  /** `glance_num_retries`: retries after a connection failure or a 503. */
  readonly numRetries: number;
  /** `glance_api_insecure`: no certificate check for https. */
  readonly insecure: boolean;
  /** `glance_ca_certificates_file`, `glance_certfile`, `glance_keyfile` (PEM files). */
  readonly caFile: string | null;
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** `glance_request_timeout` in seconds: the longest wait for the next bytes (null: 600). */
  readonly requestTimeout: number | null;
  /** `allowed_direct_url_schemes` (`file`: read a file:// location directly). */
  readonly allowedDirectUrlSchemes: readonly string[];
  /** `glance_noauth_token`: X-Auth-Token sent in noauth mode (null: none). */
  readonly noauthToken: string | null;
}

/** glanceclient's default timeout, used when `glance_request_timeout` is unset. */
export const DEFAULT_REQUEST_TIMEOUT_S = 600;

/** The options of a `[DEFAULT]` section. */
export function glanceOptionsFromConfig(d: DefaultSection): GlanceOptions {
  return {
    authStrategy: d.auth_strategy,
    apiServers: d.glance_api_servers,
    catalogInfo: d.glance_catalog_info,
    numRetries: d.glance_num_retries,
    insecure: d.glance_api_insecure,
    caFile: d.glance_ca_certificates_file,
    certFile: d.glance_certfile,
    keyFile: d.glance_keyfile,
    requestTimeout: d.glance_request_timeout,
    allowedDirectUrlSchemes: d.allowed_direct_url_schemes,
    noauthToken: d.glance_noauth_token,
  };
}

/** Options with Cinder's defaults, for `overrides` (tests, tools). */
export function glanceOptions(overrides: Partial<GlanceOptions> = {}): GlanceOptions {
  return {
    authStrategy: 'noauth',
    apiServers: [],
    catalogInfo: 'image:glance:publicURL',
    numRetries: 3,
    insecure: false,
    caFile: null,
    certFile: null,
    keyFile: null,
    requestTimeout: null,
    allowedDirectUrlSchemes: [],
    noauthToken: null,
    ...overrides,
  };
}
