/**
 * Answers for requests that never reach a route: what Node's HTTP parser refuses (headers over
 * 16 KiB, a request line or header it cannot read, a request not received in time). Node hands
 * those to the server's `clientError` listener with the bare socket; they are answered here in
 * Cinder's fault format with a request id of their own, as every other error is.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { faultBody } from './fault.js';

/** What the log needs to say about an early error (see `ClientErrorLog`). */
export interface ClientErrorEvent {
  requestId: string;
  status: number;
  code: string | undefined;
  remoteAddress: string | undefined;
}

/** Where early errors are reported (the API's access log). */
export type ClientErrorLog = (event: ClientErrorEvent) => void;

/** Status and text for a client error, by the code Node's parser gives it. */
function statusOf(code: string | undefined): [number, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request Timeout'];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large'];
  return [400, 'Bad Request'];
}

/** Whether a response to the socket's current request has begun (it must not be interrupted). */
function responseStarted(socket: Socket): boolean {
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return current?.headersSent === true;
}

/**
 * A `clientError` listener (fastify's `clientErrorHandler`): writes the fault with
 * `x-openstack-request-id`, then closes the connection, as Node's own listener would.
 */
export function clientErrorHandler(
  log: ClientErrorLog,
): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    // NOTE: a reset connection, or one already answered and closing, has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
    const requestId = `req-${randomUUID()}`;
    const [status, message] = statusOf(err.code);
    log({ requestId, status, code: err.code, remoteAddress: socket.remoteAddress });
    if (responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(faultBody(status, message).body);
    const head = [
      `HTTP/1.1 ${status} ${message}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `x-openstack-request-id: ${requestId}`,
      `x-compute-request-id: ${requestId}`,
      'Connection: close',
    ].join('\r\n');
    socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
  };
}
