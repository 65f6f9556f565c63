/** Errors of the API itself: request parsing and validation, microversions, routes, content types, plain webob answers, policy. */
import { CinderError, Invalid, NotAuthorized, NotFound } from './base.js';

/** `Invalid input received: <reason>` */
export class InvalidInput extends Invalid {
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`);
  }
}

/** A body that failed schema validation: the message is the whole Cinder detail. */
export class ValidationError extends Invalid {}

/** Plain 400 with a message used verbatim (Cinder's `webob.exc.HTTPBadRequest(explanation=…)`). */
export class BadRequest extends Invalid {}

export class InvalidUUID extends Invalid {
  constructor(uuid: string) {
    super(`Expected a UUID but received ${uuid}.`);
  }
}

/** API version string that does not parse (`3.07`, `3`). */
export class InvalidAPIVersionString extends Invalid {
  constructor(version: string) {
    super(`API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
}

/**
 * `boolFromString(v, strict=true)` got something that is not a boolean word (oslo raises
 * `ValueError` with this text; callers usually re-raise it as `InvalidInput`).
 */
export class UnrecognizedBoolValue extends Invalid {}

/** A configuration or parameter value out of range; the message is used as is. */
export class InvalidParameterValue extends Invalid {}

export class PolicyNotAuthorized extends NotAuthorized {
  constructor(action: string) {
    super(`Policy doesn't allow ${action} to be performed.`);
  }
}

/** Route exists but not at this microversion, or no such route: Cinder answers a bare 404. */
export class ItemNotFound extends NotFound {
  constructor(message = 'The resource could not be found.') {
    super(message);
  }
}

export class VersionNotSupported extends CinderError {
  override readonly code: number = 406;
  constructor(version: string, min: string, max: string) {
    super(`Version ${version} is not supported by the API. Minimum is ${min} and maximum is ${max}.`);
  }
}

export class UnsupportedMediaType extends CinderError {
  override readonly code: number = 415;
  constructor() {
    super('Unsupported Content-Type');
  }
}

/** A 500 whose text is shown, as a controller's `webob.exc.HTTPInternalServerError(explanation=…)`. */
export class ServerErrorExplained extends CinderError {}

/**
 * 503 with the message (webob's HTTPServiceUnavailable, as Cinder's backup create/import answer it;
 * not Cinder's `ServiceUnavailable`, which is a 400).
 */
export class HTTPServiceUnavailable extends CinderError {
  override readonly code: number = 503;
}

/** A Cinder API that Kindling does not provide yet: 501 `notImplemented`. */
export class NotImplementedYet extends CinderError {
  override readonly code: number = 501;
}

export class MessageNotFound extends NotFound {
  constructor(id: string) {
    super(`Message ${id} could not be found.`);
  }
}
