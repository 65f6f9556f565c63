/** Volume types: extra specs, access, project defaults, QoS specs and encryption. */
import { CinderError, Conflict, Invalid, NotFound } from './base.js';

export class InvalidVolumeType extends Invalid {
  constructor(reason: string) {
    super(`Invalid volume type: ${reason}`);
  }
}

export class VolumeTypeNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume type ${id} could not be found.`);
  }
}

export class VolumeTypeNotFoundByName extends NotFound {
  constructor(name: string) {
    super(`Volume type with name ${name} could not be found.`);
  }
}

export class VolumeTypeExtraSpecsNotFound extends NotFound {
  constructor(typeId: string, key: string) {
    super(`Volume Type ${typeId} has no extra specs with key ${key}.`);
  }
}

export class VolumeTypeExists extends Conflict {
  constructor(id: string) {
    super(`Volume Type ${id} already exists.`);
  }
}

/** Default volume type missing: Cinder answers 500 with this (safe) text. */
export class VolumeTypeDefaultMisconfiguredError extends CinderError {
  override readonly code: number = 500;
  constructor(name: string) {
    super(`The request cannot be fulfilled as the default volume type ${name} cannot be found.`);
  }
}

export class VolumeTypeAccessNotFound extends NotFound {
  constructor(typeId: string, projectId: string) {
    super(`Volume type access not found for ${typeId} / ${projectId} combination.`);
  }
}

export class VolumeTypeAccessExists extends Conflict {
  constructor(typeId: string, projectId: string) {
    super(`Volume type access for ${typeId} / ${projectId} combination already exists.`);
  }
}

export class VolumeTypeProjectDefaultNotFound extends NotFound {
  constructor(projectId: string) {
    super(`Default type for project ${projectId} not found.`);
  }
}

export class QoSSpecsNotFound extends NotFound {
  constructor(id: string) {
    super(`No such QoS spec ${id}.`);
  }
}

export class QoSSpecsKeyNotFound extends NotFound {
  constructor(id: string, key: string) {
    super(`QoS spec ${id} has no spec with key ${key}.`);
  }
}

export class QoSSpecsExists extends Conflict {
  constructor(name: string) {
    super(`QoS Specs ${name} already exists.`);
  }
}

export class InvalidQoSSpecs extends Invalid {
  constructor(reason: string) {
    super(`Invalid qos specs: ${reason}`);
  }
}

export class VolumeTypeEncryptionExists extends Invalid {
  constructor(typeId: string) {
    super(`Volume type encryption for type ${typeId} already exists.`);
  }
}

export class VolumeTypeEncryptionNotFound extends NotFound {
  constructor(typeId: string) {
    super(`Volume type encryption for type ${typeId} does not exist.`);
  }
}
