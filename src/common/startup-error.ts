/**
 * A service cannot start for a reason the operator must fix (the port is taken, the state
 * directory is in use): `kindling` prints its message as one line, without a stack.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
