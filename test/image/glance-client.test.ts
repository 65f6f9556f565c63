/**
 * The Glance client against a fake Glance (a node http server in this process), for what a real
 * Glance will not do on demand: answer 503, never answer, cut a download short. Also the headers
 * each mode sends, and how request bodies go out.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import {
  GlanceConnectionFailed,
  ImageDownloadFailed,
  ImageLimitExceeded,
  ImageNotFound,
  Invalid,
} from '../../src/common/errors.js';
import { GlanceImageService, glanceOptions, type GlanceOptions } from '../../src/image/index.js';
import { noauthContext, keystoneContext } from './glance-support.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

interface Fake {
  url: string;
  seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[];
  handle: Handler;
  close(): Promise<void>;
}

const fakes: Fake[] = [];
after(async () => {
  for (const f of fakes) await f.close();
});

async function fake(handle: Handler): Promise<Fake> {
  const f: Fake = { url: '', seen: [], handle, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      f.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      f.handle(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  f.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  f.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  fakes.push(f);
  return f;
}

const IMAGE = {
  id: '4a0b2c66-2f6f-4c5e-9a43-5f1d7e6f0b11',
  name: 'fake',
  status: 'active',
  checksum: null,
  os_hash_algo: null,
  os_hash_value: null,
  size: 11,
  visibility: 'shared',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function service(f: Fake, o: Partial<GlanceOptions> = {}, sleeps: number[] = []): GlanceImageService {
  const s = new GlanceImageService(glanceOptions({ apiServers: [f.url], ...o }), {
    sleep: async (ms) => void sleeps.push(ms),
  });
  after(() => s.close());
  return s;
}

test('503 is retried glance_num_retries times, one second apart, then GlanceConnectionFailed', async () => {
  let n = 0;
  const f = await fake((_req, _b, res) => {
    if (++n <= 2) res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
    else json(res, 200, IMAGE);
  });
  const sleeps: number[] = [];
  assert.equal((await service(f, { numRetries: 2 }, sleeps).show(noauthContext(), IMAGE.id)).name, 'fake');
  assert.deepEqual(sleeps, [1000, 1000]);
  n = 0;
  await assert.rejects(service(f, { numRetries: 1 }).show(noauthContext(), IMAGE.id), (e: unknown) => {
    assert.ok(e instanceof GlanceConnectionFailed);
    assert.match(e.message, /^Connection to glance failed: HTTP 503 Service Unavailable: busy/);
    return true;
  });
});

test('no answer within glance_request_timeout: a connection failure, retried', async () => {
  const f = await fake(() => {
    // never answers
  });
  const t0 = Date.now();
  await assert.rejects(
    service(f, { numRetries: 1, requestTimeout: 1 }).show(noauthContext(), IMAGE.id),
    (e: unknown) => {
      assert.ok(e instanceof GlanceConnectionFailed);
      assert.match(e.message, /no answer within 1 s/);
      return true;
    },
  );
  assert.equal(f.seen.length, 2);
  assert.ok(Date.now() - t0 >= 1900);
});

test('a download cut short fails the stream with ImageDownloadFailed', async () => {
  const f = await fake((req, _b, res) => {
    if (!req.url!.endsWith('/file')) return json(res, 200, IMAGE);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '11' });
    res.write('hello');
    setTimeout(() => res.destroy(), 50);
  });
  const dl = await service(f).download(noauthContext(), IMAGE.id);
  assert.equal(dl.expected, null); // no digest recorded: not checked, as glanceclient
  await assert.rejects(
    (async () => {
      for await (const _ of dl.stream) void _;
    })(),
    (e: unknown) => {
      assert.ok(e instanceof ImageDownloadFailed);
      assert.match(e.message, /^Failed to download image .*, reason: IOError: aborted/);
      return true;
    },
  );
});

test('Content-MD5 is checked when the image records no digest', async () => {
  const data = Buffer.from('hello world');
  const good = createHash('md5').update(data).digest('hex');
  let md5 = good;
  const f = await fake((req, _b, res) => {
    if (!req.url!.endsWith('/file')) return json(res, 200, IMAGE);
    res.writeHead(200, { 'content-md5': md5, 'content-length': String(data.length) }).end(data);
  });
  const s = service(f);
  const ok = await s.download(noauthContext(), IMAGE.id);
  assert.deepEqual(ok.expected, { algorithm: 'md5', value: good });
  for await (const _ of ok.stream) void _;
  md5 = '0'.repeat(32);
  const bad = await s.download(noauthContext(), IMAGE.id);
  await assert.rejects(
    (async () => {
      for await (const _ of bad.stream) void _;
    })(),
    /Corrupt image download\. Checksum was [0-9a-f]{32} expected 0{32}/,
  );
});

test('headers: the request id always; the token of keystone mode, of glance_noauth_token or none', async () => {
  const f = await fake((_req, _b, res) => json(res, 200, IMAGE));
  const noauth = noauthContext();
  await service(f).show(noauth, IMAGE.id);
  assert.equal(f.seen.at(-1)!.headers['x-openstack-request-id'], noauth.requestId);
  assert.equal(f.seen.at(-1)!.headers['x-auth-token'], undefined); // not the noauth "user:project"
  await service(f, { noauthToken: 'fixed' }).show(noauth, IMAGE.id);
  assert.equal(f.seen.at(-1)!.headers['x-auth-token'], 'fixed');
  const ks = keystoneContext('gAAAA-user-token', 'u', 'p');
  await service(f, { authStrategy: 'keystone', noauthToken: 'fixed' }).show(ks, IMAGE.id);
  assert.equal(f.seen.at(-1)!.headers['x-auth-token'], 'gAAAA-user-token');
  assert.equal(f.seen.at(-1)!.url, `/v2/images/${IMAGE.id}`);
});

test('bodies: JSON for create, the JSON-patch type for update, chunked or sized uploads with store headers', async () => {
  const f = await fake((req, _b, res) => {
    if (req.method === 'PUT') res.writeHead(204).end();
    else json(res, req.method === 'POST' ? 201 : 200, IMAGE);
  });
  const s = service(f);
  const c = noauthContext();
  await s.create(c, {
    name: 'n',
    status: 'active',
    properties: { block_device_mapping: [{ boot_index: 0 }], k: 'v' },
  });
  let seen = f.seen.at(-1)!;
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(seen.body.toString()), {
    name: 'n',
    block_device_mapping: '[{"boot_index":0}]',
    k: 'v',
  });
  await s.update(c, IMAGE.id, [{ op: 'add', path: '/k', value: 'w' }]);
  seen = f.seen.at(-1)!;
  assert.equal(seen.method, 'PATCH');
  assert.equal(seen.headers['content-type'], 'application/openstack-images-v2.1-json-patch');
  await s.upload(c, IMAGE.id, Readable.from([Buffer.from('ab'), Buffer.from('cd')]), {
    storeId: 'rbd',
    baseImageRef: 'base',
  });
  seen = f.seen.at(-1)!;
  assert.equal(seen.headers['transfer-encoding'], 'chunked');
  assert.equal(seen.headers['content-type'], 'application/octet-stream');
  assert.equal(seen.headers['x-image-meta-store'], 'rbd');
  assert.equal(seen.headers['x-openstack-base-image-ref'], 'base');
  assert.equal(seen.body.toString(), 'abcd');
  await s.upload(c, IMAGE.id, Readable.from([Buffer.from('ab'), Buffer.from('cd')]), { size: 4 });
  seen = f.seen.at(-1)!;
  assert.equal(seen.headers['content-length'], '4');
  assert.equal(seen.headers['transfer-encoding'], undefined);
});

test('Glance errors as Cinder errors: 400 Invalid with the HTML text, 404, 413', async () => {
  let status = 400;
  const f = await fake((_req, _b, res) => {
    const title = { 400: '400 Bad Request', 404: '404 Not Found', 413: '413 Request Entity Too Large' }[
      status
    ];
    res
      .writeHead(status, { 'content-type': 'text/html; charset=UTF-8' })
      .end(
        `<html>\n <head>\n  <title>${title}</title>\n </head>\n <body>\n  <h1>${title}</h1>\n  Why it failed.<br /><br />\n\n\n\n </body>\n</html>`,
      );
  });
  const s = service(f);
  const id = randomUUID();
  await assert.rejects(s.show(noauthContext(), id), (e: unknown) => {
    assert.ok(e instanceof Invalid);
    assert.equal(e.message, 'HTTP 400 Bad Request: Why it failed.');
    return true;
  });
  status = 404;
  await assert.rejects(s.show(noauthContext(), id), ImageNotFound);
  status = 413;
  await assert.rejects(s.upload(noauthContext(), id, Buffer.from('x')), (e: unknown) => {
    assert.ok(e instanceof ImageLimitExceeded);
    assert.equal(e.code, 413);
    return true;
  });
});
