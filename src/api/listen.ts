import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { StartupError } from '../common/startup-error.js';

/** What the errno of a failed listen means to an operator. */
export const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use (another kindling, or another program, listens on it)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine',
};

/**
 * Listens on `osapi_volume_listen`:`osapi_volume_listen_port`.
 * @throws StartupError naming the address and port when the socket cannot be bound.
 */
export async function listenApi(config: Config, app: FastifyInstance): Promise<void> {
  const host = config.DEFAULT.osapi_volume_listen;
  const port = config.DEFAULT.osapi_volume_listen_port;
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = LISTEN_ERRORS[code];
    if (!why) throw err;
    throw new StartupError(
      `Cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (osapi_volume_listen, osapi_volume_listen_port): ${why} [${code}]`,
    );
  }
}
