/**
 * Bad input is never a 500 (issue 11, items 5–10): bodies nested too deep, malformed version
 * headers, non-string names, invalid UTF-8, errors Fastify or Node answer before a route runs,
 * and bodies that never arrive. Every answer is a Cinder fault body with a request id, and
 * nothing is stored. Both modes: embedded through `inject` (or a socket where one is needed),
 * distributed over HTTP to the api process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { TestKindling, TestResponse } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';

/** Body routes of every kind of resource, with ids that need not exist (validation comes first). */
const ANY_ID = '11111111-2222-3333-4444-555555555555';
const BODY_ROUTES: readonly [string, string][] = [
  ['POST', '/v3/admin/volumes'],
  ['PUT', `/v3/admin/volumes/${ANY_ID}`],
  ['POST', `/v3/admin/volumes/${ANY_ID}/action`],
  ['POST', `/v3/admin/volumes/${ANY_ID}/metadata`],
  ['PUT', `/v3/admin/volumes/${ANY_ID}/metadata/k`],
  ['POST', '/v3/admin/snapshots'],
  ['POST', '/v3/admin/types'],
  ['POST', `/v3/admin/types/${ANY_ID}/extra_specs`],
  ['POST', '/v3/admin/qos-specs'],
  ['POST', '/v3/admin/os-volume-transfer'],
  ['POST', `/v3/admin/os-volume-transfer/${ANY_ID}/accept`],
  ['PUT', '/v3/admin/os-quota-sets/admin'],
  ['POST', '/v3/admin/backups'],
  ['POST', '/v3/admin/groups'],
  ['POST', '/v3/admin/attachments'],
];

/** Sends `payload` as it is (bytes, not a JS string): `inject` embedded, HTTP distributed. */
async function sendBytes(
  k: TestKindling,
  method: string,
  url: string,
  payload: Buffer,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  const h = { 'x-auth-token': 'admin:admin', 'content-type': 'application/json', ...headers };
  const parse = (status: number, hdrs: TestResponse['headers'], text: string): TestResponse => {
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status, headers: hdrs, body, text };
  };
  if (k.mode === 'embedded') {
    const r = await k.app.inject({ method: method as 'POST', url, headers: h, payload });
    return parse(r.statusCode, r.headers, r.body);
  }
  const target = new URL(url, k.cluster!.url);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method, headers: { ...h, 'content-length': String(payload.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve(parse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString())),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Where the API listens: the embedded app starts listening on a free port the first time. */
async function apiAddress(k: TestKindling): Promise<{ host: string; port: number }> {
  if (k.mode === 'distributed') {
    const u = new URL(k.cluster!.url);
    return { host: u.hostname, port: Number(u.port) };
  }
  if (!k.app.server.listening) await k.app.listen({ host: '127.0.0.1', port: 0 });
  const a = k.app.server.address();
  assert.ok(a && typeof a === 'object');
  return { host: '127.0.0.1', port: a.port };
}

/** What came back on a raw connection: the parsed response (if any) and how long until it closed. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: any;
  raw: string;
  closedAfterMs: number | null;
}

/**
 * Writes `chunks` to a fresh connection (the next one only once the previous one has gone out) and
 * reads until the server closes it, or `waitMs` passes.
 */
async function rawExchange(k: TestKindling, chunks: (string | Buffer)[], waitMs = 5000): Promise<RawAnswer> {
  const { host, port } = await apiAddress(k);
  const started = Date.now();
  const raw = await new Promise<{ text: string; closed: boolean }>((resolve) => {
    const s = connect({ host, port });
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text: Buffer.concat(got).toString(), closed: false });
    }, waitMs);
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
    });
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(got).toString(), closed: true });
    });
  });
  const closedAfterMs = raw.closed ? Date.now() - started : null;
  const [head = '', ...rest] = raw.text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body: unknown;
  try {
    body = JSON.parse(rest.join('\r\n\r\n'));
  } catch {
    body = undefined;
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, raw: raw.text, closedAfterMs };
}

/** A Cinder fault (`{"<name>": {"code", "message"}}`) with a request id, on a raw answer. */
function assertRawFault(a: RawAnswer, status: number, name: string, message: string): void {
  assert.equal(a.status, status, a.raw);
  assert.deepEqual(a.body, { [name]: { code: status, message } }, a.raw);
  assert.equal(a.headers['content-type'], 'application/json', a.raw);
  assert.match(a.headers['x-openstack-request-id'] ?? '', /^req-[0-9a-f-]{36}$/, a.raw);
  assert.equal(a.headers['x-compute-request-id'], a.headers['x-openstack-request-id']);
}

function assertBadRequest(r: TestResponse, message?: string | RegExp): void {
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body?.badRequest?.code, 400, r.text);
  if (typeof message === 'string') assert.equal(r.body.badRequest.message, message);
  else if (message) assert.match(r.body.badRequest.message, message);
  assert.match(String(r.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
}

test('item 5: JSON nested 10,000 deep (under the size limit) is a 400 on every body route', async (t) => {
  const k = await startForTest(t);
  const deepArray = `{"volume": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
  const deepObject = `{"volume": {"size": 1, "metadata": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`;
  const deepest = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
  for (const [method, url] of BODY_ROUTES) {
    for (const body of [deepArray, deepObject, deepest]) {
      const r = await k.req(method, url, body);
      assertBadRequest(r, /^Malformed request body: JSON nested deeper than \d+ levels\.$/);
    }
  }
  // Nesting a real body uses is fine.
  const ok = await k.req(
    'POST',
    '/v3/admin/types',
    `{"volume_type": {"name": "t1", "extra_specs": {"a": "b"}}}`,
  );
  assert.equal(ok.status, 200, ok.text);
});

test('item 6: a malformed OpenStack-API-Version header is a 400 on every route, never a 500', async (t) => {
  const k = await startForTest(t);
  const routes: [string, string, unknown][] = [
    ['GET', '/v3/admin/volumes', undefined],
    ['GET', '/v3/admin/types', undefined],
    ['POST', '/v3/admin/volumes', { volume: { size: 1 } }],
    ['GET', '/v3/volumes', undefined],
    ['GET', '/v3/admin/os-quota-sets/admin', undefined],
  ];
  for (const value of [
    'volume 3.70 3.71',
    'volume',
    'volume  ',
    'volume 3.1 x',
    'compute 2.1, volume 3.5 3.6',
  ]) {
    for (const [method, url, body] of routes) {
      const r = await k.req(method, url, body, { 'openstack-api-version': value });
      assertBadRequest(
        r,
        `Invalid OpenStack-API-Version header: '${value
          .split(',')
          .find((e) => e.includes('volume'))!
          .trim()}'. Expected 'volume <major>.<minor>' or 'volume latest'.`,
      );
    }
  }
  // Nothing was created by the refused POSTs.
  assert.equal((await k.db.selectFrom('volumes').select('id').execute()).length, 0);
  // Cinder's own answers stay: a bad version string is its 400, out of range its 406.
  const bad = await k.req('GET', '/v3/admin/volumes', undefined, { 'openstack-api-version': 'volume 3.x' });
  assertBadRequest(bad, 'API Version String 3.x is of invalid format. Must be of format MajorNum.MinorNum.');
  const far = await k.req('GET', '/v3/admin/volumes', undefined, { 'openstack-api-version': 'volume 3.71' });
  assert.equal(far.status, 406, far.text);
});

test('item 7: a transfer name that is not a string is a 400, not a crash', async (t) => {
  const k = await startForTest(t);
  for (const [url, headers] of [
    ['/v3/admin/os-volume-transfer', {}],
    ['/v3/admin/volume-transfers', { 'openstack-api-version': 'volume 3.55' }],
  ] as const) {
    for (const [name, shown] of [
      [1, '1'],
      [1.5, '1.5'],
      [true, 'True'],
      [[], '[]'],
      [{}, '{}'],
    ] as const) {
      const r = await k.req('POST', url, { transfer: { volume_id: ANY_ID, name } }, headers);
      assertBadRequest(
        r,
        `Invalid input for field/attribute name. Value: ${shown}. ${shown} is not valid under any of the given schemas`,
      );
    }
  }
  assert.equal((await k.db.selectFrom('transfers').select('id').execute()).length, 0);
});

test('item 8: a body that is not valid UTF-8 is a 400 "Invalid UTF-8" and stores nothing', async (t) => {
  const k = await startForTest(t);
  const vol = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, name: 'v' } });
  assert.equal(vol.status, 202, vol.text);
  const volumeId = vol.body.volume.id as string;
  const bad: Buffer[] = [
    Buffer.from([0xff, 0xfe]), // never valid
    Buffer.from([0xc0, 0x80]), // overlong NUL
    Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate
    Buffer.from([0xe6, 0x97]), // truncated
    Buffer.from([0xf4, 0x90, 0x80, 0x80]), // beyond U+10FFFF
  ];
  const json = (prefix: string, bytes: Buffer, suffix: string) =>
    Buffer.concat([Buffer.from(prefix), bytes, Buffer.from(suffix)]);
  const tables = [
    'volume_types',
    'volume_type_extra_specs',
    'volume_metadata',
    'volumes',
    'quality_of_service_specs',
  ] as const;
  const counts = async () =>
    Promise.all(
      tables.map(
        async (t) =>
          (
            await k.db
              .selectFrom(t)
              .select((e) => e.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
      ),
    );
  const before = await counts();
  for (const bytes of bad) {
    for (const [method, url, body] of [
      ['POST', '/v3/admin/types', json('{"volume_type": {"name": "t', bytes, '"}}')],
      [
        'POST',
        '/v3/admin/types',
        json('{"volume_type": {"name": "t", "extra_specs": {"k": "', bytes, '"}}}'),
      ],
      ['POST', `/v3/admin/volumes/${volumeId}/metadata`, json('{"metadata": {"k": "', bytes, '"}}')],
      ['PUT', `/v3/admin/volumes/${volumeId}`, json('{"volume": {"name": "', bytes, '"}}')],
      ['POST', '/v3/admin/volumes', json('{"volume": {"size": 1, "name": "', bytes, '"}}')],
      ['POST', '/v3/admin/qos-specs', json('{"qos_specs": {"name": "q', bytes, '"}}')],
      ['POST', '/v3/admin/volumes', json('{"volume": {"size": 1}}', bytes, '')],
    ] as const) {
      const r = await sendBytes(k, method, url, body);
      assertBadRequest(r, 'Invalid UTF-8');
    }
  }
  assert.deepEqual(await counts(), before);
  const shown = await k.req('GET', `/v3/admin/volumes/${volumeId}`);
  assert.equal(shown.body.volume.name, 'v');
  // Valid UTF-8 of every length still goes through.
  const ok = await sendBytes(
    k,
    'POST',
    '/v3/admin/types',
    Buffer.from('{"volume_type": {"name": "é日本𝄞"}}'),
  );
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.volume_type.name, 'é日本𝄞');
});

test('item 9: errors answered before any route runs are Cinder faults with a request id', async (t) => {
  const k = await startForTest(t);
  // Bad percent-encoding: the router cannot decode the path.
  for (const url of ['/v3/admin/volumes/%zz', '/v3/admin/vol%E0%A4%A', '/v3/%/volumes']) {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const r = await k.req(method, url, method === 'POST' ? { volume: { size: 1 } } : undefined);
      assertBadRequest(r, 'Malformed request URL: it is not valid percent-encoded UTF-8.');
    }
  }
  // Headers larger than Node allows (16 KiB): 431 from the HTTP parser.
  const big = await rawExchange(k, [
    `GET /v3/admin/volumes HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  ]);
  assertRawFault(big, 431, 'computeFault', 'Request Header Fields Too Large');
  assert.notEqual(big.closedAfterMs, null);
  // A request the HTTP parser cannot read at all.
  for (const garbage of [
    'GET /v3 HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n',
    'GET /v3 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    'BREW /v3 HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /v3 HTTP/9.9\r\n\r\n',
    '\x00\x01\x02\r\n\r\n',
  ]) {
    const a = await rawExchange(k, [garbage]);
    assertRawFault(a, 400, 'badRequest', 'Bad Request');
  }
  // The server is still there.
  assert.equal((await k.req('GET', '/v3/admin/volumes')).status, 200);
});

test('item 10: a request whose body never arrives is answered 408 and closed after client_body_timeout', async (t) => {
  const k = await startForTest(t, { KINDLING__DEFAULT__client_body_timeout: '1' });
  const headers =
    'POST /v3/admin/volumes HTTP/1.1\r\nHost: x\r\nX-Auth-Token: admin:admin\r\n' +
    'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n';
  // Headers then part of the body, then nothing.
  const stalled = await rawExchange(k, [headers, '{"volume": {"si'], 8000);
  assertRawFault(stalled, 408, 'computeFault', 'Request Timeout');
  assert.ok(stalled.closedAfterMs !== null && stalled.closedAfterMs < 4000, String(stalled.closedAfterMs));
  // Headers alone, no body at all.
  const silent = await rawExchange(k, [headers], 8000);
  assertRawFault(silent, 408, 'computeFault', 'Request Timeout');
  assert.equal((await k.db.selectFrom('volumes').select('id').execute()).length, 0);
  // A body that arrives in time, slowly, still works.
  const { host, port } = await apiAddress(k);
  const body = JSON.stringify({ volume: { size: 1, name: 'slow' } });
  const ok = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        method: 'POST',
        path: '/v3/admin/volumes',
        headers: {
          'x-auth-token': 'admin:admin',
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => req.end(body.slice(10)), 300);
  });
  assert.equal(ok, 202);
});

test(
  'item 10: client_socket_timeout (900 s) and client_body_timeout (60 s) by default',
  { skip: false },
  async (t) => {
    const k = await startForTest(t);
    assert.equal(k.core.config.DEFAULT.client_socket_timeout, 900);
    assert.equal(k.core.config.DEFAULT.client_body_timeout, 60);
    if (k.mode === 'embedded') {
      assert.equal(k.app.server.timeout, 900_000);
      assert.equal(k.app.server.requestTimeout, 60_000);
    }
  },
);

test('a null volume type extra spec is a 400, not a 500 (the fuzz pass found it)', async (t) => {
  const k = await startForTest(t);
  const created = await k.req('POST', '/v3/admin/types', {
    volume_type: { name: 't', extra_specs: { k1: 'v' } },
  });
  assert.equal(created.status, 200, created.text);
  const typeId = created.body.volume_type.id as string;
  const message = "Invalid input for field/attribute k1. Value: None. None is not of type 'string'";
  assertBadRequest(
    await k.req('POST', '/v3/admin/types', { volume_type: { name: 't2', extra_specs: { k1: null } } }),
    message,
  );
  assertBadRequest(
    await k.req('POST', `/v3/admin/types/${typeId}/extra_specs`, { extra_specs: { k1: null } }),
    message,
  );
  assertBadRequest(await k.req('PUT', `/v3/admin/types/${typeId}/extra_specs/k1`, { k1: null }), message);
  const shown = await k.req('GET', `/v3/admin/types/${typeId}`);
  assert.deepEqual(shown.body.volume_type.extra_specs, { k1: 'v' });
  assert.equal(
    (await k.db.selectFrom('volume_types').select('id').where('name', '=', 't2').execute()).length,
    0,
  );
});
