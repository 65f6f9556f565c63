import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRequestId, type RequestContext } from '../../src/common/context.js';
import { GlanceConnectionFailed, ImageDownloadFailed } from '../../src/common/errors.js';
import { loadConfig } from '../../src/config/config.js';
import { apiServers, normalizeServer } from '../../src/image/api-servers.js';
import { expectedDigest, nodeHashName } from '../../src/image/checksum.js';
import { errorDetails } from '../../src/image/glance-errors.js';
import { glanceOptionsFromConfig } from '../../src/image/glance-options.js';
import {
  attributePath,
  propertyPatch,
  toGlanceBody,
  toImageMeta,
  type GlanceImage,
} from '../../src/image/image-record.js';

const ctx = (catalog?: RequestContext['serviceCatalog']): RequestContext => ({
  userId: 'u',
  projectId: 'p',
  isAdmin: false,
  roles: [],
  requestId: newRequestId(),
  ...(catalog && { serviceCatalog: catalog }),
});

test('the glance options come from [DEFAULT] with Cinder’s names and defaults', () => {
  const o = glanceOptionsFromConfig(loadConfig({ env: {} }).DEFAULT);
  assert.deepEqual(o, {
    authStrategy: 'noauth',
    apiServers: [],
    catalogInfo: 'image:glance:publicURL',
    numRetries: 3,
    insecure: false,
    caFile: null,
    certFile: null,
    keyFile: null,
    requestTimeout: null,
    allowedDirectUrlSchemes: [],
    noauthToken: null,
  });
  const set = glanceOptionsFromConfig(
    loadConfig({
      env: {
        KINDLING__DEFAULT__glance_api_servers: 'glance1:9292, https://glance2/image/',
        KINDLING__DEFAULT__glance_num_retries: '0',
        KINDLING__DEFAULT__glance_request_timeout: '30',
        KINDLING__DEFAULT__allowed_direct_url_schemes: 'file',
        KINDLING__DEFAULT__glance_noauth_token: 'tok',
      },
    }).DEFAULT,
  );
  assert.deepEqual(set.apiServers, ['glance1:9292', 'https://glance2/image/']);
  assert.equal(set.numRetries, 0);
  assert.equal(set.requestTimeout, 30);
  assert.deepEqual(set.allowedDirectUrlSchemes, ['file']);
  assert.equal(set.noauthToken, 'tok');
  assert.throws(() => loadConfig({ env: { KINDLING__DEFAULT__glance_num_retries: '-1' } }), /should be >= 0/);
  assert.throws(
    () => loadConfig({ env: { KINDLING__DEFAULT__glance_catalog_info: 'image:glance' } }),
    /glance_catalog_info/,
  );
});

test('api servers: normalised, shuffled; else the catalog entry of glance_catalog_info', () => {
  assert.equal(normalizeServer('glance:9292'), 'http://glance:9292');
  assert.equal(normalizeServer('https://cloud/image/'), 'https://cloud/image');
  const opts = { apiServers: ['a:1', 'b:2', 'c:3'], catalogInfo: 'image:glance:publicURL' };
  assert.deepEqual(
    apiServers(ctx(), opts, () => 0.999),
    ['http://a:1', 'http://b:2', 'http://c:3'],
  );
  assert.deepEqual(apiServers(ctx(), opts, () => 0).sort(), ['http://a:1', 'http://b:2', 'http://c:3']);
  const catalog = [
    { type: 'identity', endpoints: [{ interface: 'public', url: 'http://ks:5000' }] },
    {
      type: 'image',
      name: 'glance',
      endpoints: [
        { interface: 'admin', url: 'http://glance-admin:9292' },
        { interface: 'public', url: 'http://glance:9292/' },
      ],
    },
  ];
  const fromCatalog = { apiServers: [], catalogInfo: 'image:glance:publicURL' };
  assert.deepEqual(apiServers(ctx(catalog), fromCatalog), ['http://glance:9292']);
  assert.deepEqual(apiServers(ctx(catalog), { ...fromCatalog, catalogInfo: 'image:glance:adminURL' }), [
    'http://glance-admin:9292',
  ]);
  assert.throws(() => apiServers(ctx(), fromCatalog), GlanceConnectionFailed);
});

test("expected digest: os_hash first, then the md5 checksum, then Content-MD5 (glanceclient's order)", () => {
  assert.deepEqual(expectedDigest({ os_hash_algo: 'sha512', os_hash_value: 'AB', checksum: 'cd' }), {
    algorithm: 'sha512',
    value: 'ab',
  });
  assert.deepEqual(expectedDigest({ os_hash_algo: null, os_hash_value: null, checksum: 'cd' }), {
    algorithm: 'md5',
    value: 'cd',
  });
  assert.deepEqual(expectedDigest({}, 'EF'), { algorithm: 'md5', value: 'ef' });
  assert.equal(expectedDigest({}), null);
  assert.equal(nodeHashName('sha3_512'), 'sha3-512');
  assert.deepEqual(expectedDigest({ os_hash_algo: 'nohash', os_hash_value: 'x', checksum: 'cd' }), {
    algorithm: 'md5',
    value: 'cd',
  });
  assert.throws(
    () => expectedDigest({ id: 'i', os_hash_algo: 'nohash', os_hash_value: 'x' }),
    ImageDownloadFailed,
  );
});

test("error details as glanceclient's from_response", () => {
  const html =
    '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID x<br /><br />\n\n\n\n </body>\n</html>';
  assert.equal(
    errorDetails('text/html; charset=UTF-8', html, 404),
    '404 Not Found: No image found with ID x',
  );
  assert.equal(
    errorDetails('application/json', '{"message": "No image<br /><br />\\n", "code": "404 Not Found"}', 404),
    'No image',
  );
  assert.equal(errorDetails('application/json', '{"badRequest": {"message": "m1"}}', 400), 'm1');
  assert.equal(errorDetails('text/plain', 'plain\n\ntext', 500), 'plain\ntext');
  assert.equal(errorDetails(undefined, '', 502), '502');
});

test("Cinder's translations of an image record and back", () => {
  const image = {
    id: 'i',
    name: 'n',
    status: 'active',
    schema: '/v2/schemas/image',
    checksum: 'c',
    min_disk: 1,
    hw_disk_bus: 'scsi',
    block_device_mapping: '[{"boot_index": 0}]',
    cinder_encryption_key_id: 'k',
  } as unknown as GlanceImage;
  const meta = toImageMeta(image);
  assert.ok(!('schema' in meta));
  assert.equal(meta.checksum, 'c');
  assert.deepEqual(meta.properties, {
    hw_disk_bus: 'scsi',
    block_device_mapping: [{ boot_index: 0 }],
    cinder_encryption_key_id: 'k',
  });
  assert.equal(meta.cinder_encryption_key_id, 'k');
  assert.deepEqual(
    toGlanceBody({
      name: 'n',
      status: 'queued',
      created_at: 'x',
      disk_format: 'raw',
      properties: { mappings: [{ a: 1 }], k: 'v' },
    }),
    { name: 'n', disk_format: 'raw', mappings: '[{"a":1}]', k: 'v' },
  );
});

test('property patch: replace what is there, add what is not, remove only what is there', () => {
  const current = { id: 'i', name: 'n', a: '1', 'x/y': '2' } as unknown as GlanceImage;
  assert.deepEqual(propertyPatch(current, { a: '3', b: '4', name: 'm' }, ['x/y', 'missing', 'a']), [
    { op: 'replace', path: '/a', value: '3' },
    { op: 'add', path: '/b', value: '4' },
    { op: 'replace', path: '/name', value: 'm' },
    { op: 'remove', path: '/x~1y' },
  ]);
  assert.equal(attributePath('a~b'), '/a~0b');
});
