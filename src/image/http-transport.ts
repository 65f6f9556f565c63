/**
 * One HTTP(S) request to Glance over node:http/https (streams both ways, TLS options, an idle
 * timeout), and the distinction Cinder's retry loop needs: {@link ConnectionError} when no answer
 * came (refused, reset, timed out — glanceclient's CommunicationError), anything else otherwise.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/** No answer from the server: the request may be tried again (on another server). */
export class ConnectionError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ConnectionError';
  }
}

/** TLS settings of an https Glance (Cinder's `glance_api_insecure` and the PEM files). */
export interface TlsSettings {
  readonly insecure: boolean;
  readonly caFile: string | null;
  readonly certFile: string | null;
  readonly keyFile: string | null;
}

export interface TransportRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A buffer (sent with Content-Length) or a stream (chunked unless a Content-Length header is set). */
  readonly body?: Buffer | Readable;
  /** Longest wait for the next bytes, either way, in ms. */
  readonly timeoutMs: number;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body, to be read or destroyed by the caller. */
  readonly body: IncomingMessage;
}

/** Keep-alive agents for http and https, made on first use; {@link close} ends their sockets. */
export class HttpTransport {
  #http: http.Agent | undefined;
  #https: https.Agent | undefined;

  constructor(private readonly tls: TlsSettings) {}

  /**
   * Sends a request and resolves with the response head once it arrives.
   * @throws ConnectionError when the server could not be reached or did not answer in time
   * @throws the body stream's error when the body could not be read
   */
  request(req: TransportRequest): Promise<TransportResponse> {
    const url = new URL(req.url);
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (Buffer.isBuffer(req.body)) headers['content-length'] = String(req.body.length);
    return new Promise((resolve, reject) => {
      let answered = false;
      const fail = (err: Error): void => {
        if (!answered) reject(err);
      };
      const options = { method: req.method, headers, agent: secure ? this.#httpsAgent() : this.#httpAgent() };
      const creq = (secure ? https : http).request(url, options, (res) => {
        answered = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      creq.setTimeout(req.timeoutMs, () => {
        creq.destroy(new ConnectionError(`no answer within ${req.timeoutMs / 1000} s`));
      });
      creq.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof ConnectionError) fail(err);
        else fail(new ConnectionError(err.code ? `${err.code}: ${err.message}` : err.message));
      });
      const body = req.body;
      if (body === undefined) creq.end();
      else if (Buffer.isBuffer(body)) creq.end(body);
      else {
        body.on('error', (err) => {
          creq.destroy();
          fail(err);
        });
        // NOTE: a server that answers before reading the whole body (a refusal) ends the request:
        // stop reading the source then.
        creq.on('close', () => {
          if (!body.readableEnded) body.unpipe(creq);
        });
        body.pipe(creq);
      }
    });
  }

  /** Ends the agents' idle sockets. */
  close(): void {
    this.#http?.destroy();
    this.#https?.destroy();
    this.#http = this.#https = undefined;
  }

  #httpAgent(): http.Agent {
    return (this.#http ??= new http.Agent({ keepAlive: true }));
  }

  #httpsAgent(): https.Agent {
    const read = (f: string | null): Buffer | undefined => (f ? readFileSync(f) : undefined);
    return (this.#https ??= new https.Agent({
      keepAlive: true,
      rejectUnauthorized: !this.tls.insecure,
      ca: read(this.tls.caFile),
      cert: read(this.tls.certFile),
      key: read(this.tls.keyFile),
    }));
  }
}

/** Reads a whole (small) body. */
export async function readBody(res: Readable, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      res.destroy();
      throw new Error(`answer larger than ${limit} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
