/** Volume transfers. */
import { Invalid, NotFound } from './base.js';

export class TransferNotFound extends NotFound {
  constructor(id: string) {
    super(`Transfer ${id} could not be found.`);
  }
}

export class InvalidAuthKey extends Invalid {
  constructor(reason: string) {
    super(`Invalid auth key: ${reason}`);
  }
}
