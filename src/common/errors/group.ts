/** Groups, group types and group snapshots. */
import { Conflict, Invalid, NotFound } from './base.js';

export class GroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Group ${id} could not be found.`);
  }
}

export class GroupTypeNotFound extends NotFound {
  constructor(id: string) {
    super(`Group type ${id} could not be found.`);
  }
}

export class GroupTypeNotFoundByName extends NotFound {
  constructor(name: string) {
    super(`Group type with name ${name} could not be found.`);
  }
}

export class GroupTypeSpecsNotFound extends NotFound {
  constructor(typeId: string, key: string) {
    super(`Group Type ${typeId} has no specs with key ${key}.`);
  }
}

export class GroupTypeExists extends Conflict {
  constructor(id: string) {
    super(`Group Type ${id} already exists.`);
  }
}

export class GroupSnapshotNotFound extends NotFound {
  constructor(id: string) {
    super(`GroupSnapshot ${id} could not be found.`);
  }
}

export class InvalidGroup extends Invalid {
  constructor(reason: string) {
    super(`Invalid Group: ${reason}`);
  }
}

export class InvalidGroupType extends Invalid {
  constructor(reason: string) {
    super(`Invalid group type: ${reason}`);
  }
}

export class InvalidGroupSnapshot extends Invalid {
  constructor(reason: string) {
    super(`Invalid GroupSnapshot: ${reason}`);
  }
}

export class InvalidGroupStatus extends Invalid {
  constructor(reason: string) {
    super(`Invalid Group Status: ${reason}`);
  }
}

export class InvalidGroupSnapshotStatus extends Invalid {
  constructor(reason: string) {
    super(`Invalid GroupSnapshot Status: ${reason}`);
  }
}
