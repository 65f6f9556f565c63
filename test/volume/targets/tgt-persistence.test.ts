import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  persistenceConf,
  removePersistenceFile,
  writePersistenceFile,
} from '../../../src/volume/targets/tgt-persistence.js';

test('the persistence file is a tgt config block, 0600, written whole and removable twice', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'kindling-persist-')), 'targets');
  try {
    const text = persistenceConf({
      iqn: 'iqn.2010-10.org.openstack:volume-1',
      path: '/var/lib/kindling/volumes/volume-1',
      driver: 'iscsi',
      chap: { username: 'U', password: 'P' },
      bsoflags: 'direct',
      writeCache: 'on',
    });
    assert.equal(
      text,
      [
        '<target iqn.2010-10.org.openstack:volume-1>',
        '    backing-store /var/lib/kindling/volumes/volume-1',
        '    driver iscsi',
        '    incominguser U P',
        '    bsoflags direct',
        '    write-cache on',
        '    params thin_provisioning=1',
        '</target>',
        '',
      ].join('\n'),
    );
    await writePersistenceFile(dir, 'volume-1', text);
    await writePersistenceFile(dir, 'volume-1', text);
    assert.equal(readFileSync(join(dir, 'volume-1'), 'utf8'), text);
    assert.equal(statSync(join(dir, 'volume-1')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['volume-1']);
    await removePersistenceFile(dir, 'volume-1');
    await removePersistenceFile(dir, 'volume-1');
    assert.deepEqual(readdirSync(dir), []);
    assert.ok(
      !persistenceConf({
        iqn: 'i',
        path: 'p',
        driver: 'iser',
        chap: null,
        bsoflags: '',
        writeCache: 'off',
      }).includes('incominguser'),
    );
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});
