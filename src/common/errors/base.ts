/** The base classes: every error is a CinderError; the families beside this file extend these. */

/** Base class: `code` is the HTTP status, `safe` means the message may be shown to the user. */
export class CinderError extends Error {
  /** HTTP status the API answers with. */
  readonly code: number = 500;
  /** Whether the message is shown to users (unsafe errors become a generic 500 text). */
  readonly safe: boolean = true;
  /** Quota errors are shown with their class name prefixed, as Cinder's fault middleware does. */
  readonly prefixClassName: boolean = false;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends CinderError {
  override readonly code: number = 400;
}

export class NotAuthorized extends CinderError {
  override readonly code: number = 403;
}

export class NotFound extends CinderError {
  override readonly code: number = 404;
}

export class Conflict extends CinderError {
  override readonly code: number = 409;
}

/** Quota errors: 413 `overLimit`, shown as `<ClassName>: <text>`. */
export class QuotaError extends CinderError {
  override readonly code: number = 413;
  override readonly prefixClassName: boolean = true;
}

/** Something broke that the user did not cause; answered as a generic 500. */
export class InternalError extends CinderError {
  override readonly safe: boolean = false;
}
