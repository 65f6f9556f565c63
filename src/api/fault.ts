import { CinderError, QuotaError } from '../common/errors.js';

/** HTTP status → Cinder's fault name (`api/openstack/wsgi.py` `Fault._fault_names`). */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** Generic texts webob uses when an error's own message must not be shown. */
const GENERIC_TEXT: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  404: 'The resource could not be found.',
  500: 'The server has either erred or is incapable of performing the requested operation.',
};

/** A fault body and its status. */
export interface Fault {
  status: number;
  body: Record<string, { code: number; message: string; retryAfter?: string }>;
  /** Extra response headers (`Retry-After` on quota errors). */
  headers?: Record<string, string>;
}

/** Builds `{"<faultName>": {"code": N, "message": "..."}}`. */
export function faultBody(status: number, message: string): Fault {
  const name = FAULT_NAMES[status] ?? 'computeFault';
  return { status, body: { [name]: { code: status, message } } };
}

/**
 * The one place errors become HTTP answers (Cinder's FaultWrapper): a CinderError keeps its
 * status and message (quota errors prefixed with their class name); anything else is a 500
 * with the generic text, so no internals leak.
 */
export function errorToFault(err: unknown): Fault {
  if (err instanceof CinderError) {
    if (!err.safe) return faultBody(err.code, GENERIC_TEXT[err.code] ?? GENERIC_TEXT[500]!);
    const fault = faultBody(err.code, err.prefixClassName ? `${err.name}: ${err.message}` : err.message);
    // NOTE: Cinder's quota errors carry `Retry-After: 0`, which its fault wrapper also copies into
    // the body as `retryAfter`.
    if (err instanceof QuotaError) {
      fault.headers = { 'Retry-After': '0' };
      for (const inner of Object.values(fault.body)) inner.retryAfter = '0';
    }
    return fault;
  }
  return faultBody(500, GENERIC_TEXT[500]!);
}
