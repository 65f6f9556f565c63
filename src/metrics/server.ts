/**
 * The separate metrics listener (`[metrics] listen`:`port`): `GET /metrics` and nothing else,
 * without authentication, as Prometheus endpoints of OpenStack services are usually run — bound to
 * 127.0.0.1 by default, so only what runs on the machine (or what the operator opens it to)
 * scrapes it. `kindling serve` and `kindling api` use it instead of the API port when `port` is set;
 * `kindling scheduler`, `volume` and `backup` have no other way to expose theirs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { LISTEN_ERRORS } from '../api/listen.js';
import { StartupError } from '../common/startup-error.js';
import { observeHttpRequest, UNMATCHED_ROUTE } from './http.js';
import { METRICS_CONTENT_TYPE, type MetricsSource } from './source.js';

/** A running metrics listener. */
export interface MetricsListener {
  /** `http://<listen>:<port>/metrics` as bound (the port chosen when `port = 0`). */
  readonly url: string;
  close(): Promise<void>;
}

function answer(server: Server, source: MetricsSource, log: Logger): void {
  server.on('request', (req, res) => {
    const start = performance.now();
    const path = (req.url ?? '/').split('?')[0];
    const done = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      const route = path === '/metrics' ? '/metrics' : UNMATCHED_ROUTE;
      observeHttpRequest(route, req.method ?? '', code, (performance.now() - start) / 1000);
    };
    if (path !== '/metrics') return done(404, 'text/plain; charset=utf-8', 'Not Found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return done(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    source.text().then(
      (text) => done(200, METRICS_CONTENT_TYPE, text),
      (err: unknown) => {
        log.error({ err }, 'metrics scrape failed');
        done(500, 'text/plain; charset=utf-8', 'metrics are unavailable\n');
      },
    );
  });
}

/**
 * Starts the separate listener when `[metrics] enabled` and `port` are set; otherwise null.
 * @throws StartupError naming the address and port when the socket cannot be bound.
 */
export async function startMetricsListener(
  config: Config,
  source: MetricsSource | null,
  log: Logger,
): Promise<MetricsListener | null> {
  const { enabled, listen, port } = config.metrics;
  if (!enabled || port === null || !source) return null;
  const server = createServer();
  answer(server, source, log);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, listen, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = LISTEN_ERRORS[code];
    if (!why) throw err;
    throw new StartupError(
      `Cannot listen on ${listen.includes(':') ? `[${listen}]` : listen}:${port} ([metrics] listen, port): ${why} [${code}]`,
    );
  }
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${listen.includes(':') ? `[${listen}]` : listen}:${bound}/metrics`;
  log.info({ url }, `metrics are served on ${url}`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
