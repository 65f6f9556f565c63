/**
 * One test request, sent the way `app.inject` sends it (embedded) or over HTTP to an api process
 * (distributed), answered in the same {@link TestResponse} shape. Both send `Host: localhost:80`
 * unless told otherwise, so links in bodies are the same in both modes.
 */
import { Agent, request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { RequestHeaders, TestResponse } from './types.js';

/** The default headers merged with the test's; `undefined` values drop a header. */
export function requestHeaders(body: unknown, headers: RequestHeaders = {}): Record<string, string> {
  const merged: RequestHeaders = {
    'x-auth-token': 'admin:admin',
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
}

function payload(body: unknown): string | undefined {
  return body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
}

function response(status: number, headers: TestResponse['headers'], text: string): TestResponse {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status, headers, body: parsed, text };
}

/** Sends one request through fastify's `inject` (no socket). */
export async function injectRequest(
  app: FastifyInstance,
  method: string,
  url: string,
  body?: unknown,
  headers?: RequestHeaders,
): Promise<TestResponse> {
  const data = payload(body);
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: requestHeaders(body, headers),
    ...(data !== undefined ? { payload: data } : {}),
  });
  return response(res.statusCode, res.headers, res.body);
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** Sends one request over HTTP to `baseUrl` (an api process). */
export function httpRequest(
  baseUrl: string,
  method: string,
  url: string,
  body?: unknown,
  headers?: RequestHeaders,
): Promise<TestResponse> {
  const data = payload(body);
  const target = new URL(url, baseUrl);
  const h: Record<string, string> = { host: 'localhost:80', ...requestHeaders(body, headers) };
  if (data !== undefined) h['content-length'] = String(Buffer.byteLength(data));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        headers: h,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve(response(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(data);
  });
}
