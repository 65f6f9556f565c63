/** Services, the scheduler, RPC, coordination, config and the flow engine. */
import { CinderError, InternalError, Invalid, NotFound } from './base.js';

/** Cinder's `ServiceUnavailable` (an Invalid: 400): no usable service where a request points. */
export class ServiceUnavailable extends Invalid {
  constructor(message = 'Service is unavailable at this time.') {
    super(message);
  }
}

export class ServiceNotFound extends NotFound {
  constructor(id: string) {
    super(`Service ${id} could not be found.`);
  }
}

/** No service of that binary on a host (Cinder's `ServiceNotFound` with a host). */
export class ServiceNotFoundOnHost extends NotFound {
  constructor(serviceId: string, host: string) {
    super(`Service ${serviceId} could not be found on host ${host}.`);
  }
}

/** The scheduler found nowhere to put a resource. */
export class NoValidBackend extends CinderError {
  override readonly code: number = 500;
  constructor(reason: string) {
    super(`No valid backend was found. ${reason}`);
  }
}

/** `scheduler_default_filters` names a filter that does not exist (start-up error). */
export class SchedulerHostFilterNotFound extends NotFound {
  constructor(filterName: string) {
    super(`Scheduler Host Filter ${filterName} could not be found.`);
  }
}

/** `scheduler_default_weighers` names a weigher that does not exist (start-up error). */
export class SchedulerHostWeigherNotFound extends NotFound {
  constructor(weigherName: string) {
    super(`Scheduler Host Weigher ${weigherName} could not be found.`);
  }
}

/** A volume service did not answer `get_capabilities` in time (Cinder's `RPCTimeout`, 502). */
export class RPCTimeout extends CinderError {
  override readonly code: number = 502;
  constructor(service: string) {
    super(`Timeout while requesting capabilities from backend ${service}.`);
  }
}

/** A message could not be put on the broker in time (oslo.messaging's `MessageDeliveryFailure`). */
export class MessageDeliveryFailure extends InternalError {}

/**
 * A coordination lock (`<resource id>-<operation>`) was not acquired in time: busy on a non-blocking
 * try (`timeoutSeconds` 0) or still held when the timeout ran out.
 */
export class LockAcquireTimeout extends InternalError {
  /** The lock that was not acquired. */
  readonly lockName: string;
  /** How long the caller was willing to wait, in seconds (0 = did not wait). */
  readonly timeoutSeconds: number;

  constructor(lockName: string, timeoutSeconds: number) {
    super(`Could not acquire lock ${lockName} within ${timeoutSeconds} seconds.`);
    this.lockName = lockName;
    this.timeoutSeconds = timeoutSeconds;
  }
}

/** A configuration file or environment override that cannot be used (bad syntax or bad value). */
export class ConfigError extends InternalError {}

/** A flow task needs a value that is neither in the engine's store nor provided by an earlier task. */
export class MissingInputError extends InternalError {}
