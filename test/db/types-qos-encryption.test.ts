/**
 * The db functions of type access, per-project defaults, QoS specs and type encryption (migration
 * 004) on every dialect: the same calls give the same answers on SQLite, PostgreSQL and MariaDB.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DIALECTS, openFreshDatabase, unavailable, type OpenTestDatabase } from '../support/dialects.js';
import type { Db } from '../../src/db/api/common.js';
import {
  projectDefaultVolumeTypeId,
  projectDefaultVolumeTypeList,
  projectDefaultVolumeTypeSet,
  projectDefaultVolumeTypeUnset,
  volumeTypeAccessAdd,
  volumeTypeAccessList,
  volumeTypeAccessRemove,
  volumeTypeCreate,
  volumeTypeDestroy,
} from '../../src/db/api/volume-types.js';
import {
  qosSpecsAssociate,
  qosSpecsAssociations,
  qosSpecsCreate,
  qosSpecsDelete,
  qosSpecsDeleteKeys,
  qosSpecsGet,
  qosSpecsList,
  qosSpecsUpdateKeys,
} from '../../src/db/api/qos-specs.js';
import {
  volumeTypeEncryptionCreate,
  volumeTypeEncryptionDelete,
  volumeTypeEncryptionGet,
  volumeTypeEncryptionUpdate,
} from '../../src/db/api/volume-type-encryption.js';
import { QoSSpecsExists, VolumeTypeAccessExists, VolumeTypeAccessNotFound } from '../../src/common/errors.js';

async function newType(db: Db, isPublic = false): Promise<string> {
  const id = randomUUID();
  await volumeTypeCreate(db, {
    id,
    name: `t-${id}`,
    description: null,
    is_public: isPublic,
    extra_specs: {},
  });
  return id;
}

for (const dialect of DIALECTS) {
  describe(`types, QoS and encryption db api [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    let t: OpenTestDatabase;
    let db: Db;
    before(async () => {
      t = await openFreshDatabase(dialect);
      db = t.handle.db;
    });
    after(() => t?.close());

    test('access rows: add, duplicate, remove, add again, removed with the type', async () => {
      const id = await newType(db);
      await volumeTypeAccessAdd(db, id, 'pa');
      await volumeTypeAccessAdd(db, id, 'pb');
      await assert.rejects(volumeTypeAccessAdd(db, id, 'pa'), VolumeTypeAccessExists);
      assert.deepEqual(
        (await volumeTypeAccessList(db, id)).map((r) => r.project_id),
        ['pa', 'pb'],
      );
      // Remove and add again twice: removed rows never collide with each other (deleted = id).
      for (let i = 0; i < 2; i++) {
        await volumeTypeAccessRemove(db, id, 'pa');
        await assert.rejects(volumeTypeAccessRemove(db, id, 'pa'), VolumeTypeAccessNotFound);
        await volumeTypeAccessAdd(db, id, 'pa');
      }
      assert.deepEqual(
        (await volumeTypeAccessList(db, id)).map((r) => r.project_id),
        ['pb', 'pa'],
      );
      // The unique index refuses a second live row written behind the API's back.
      await assert.rejects(
        db
          .insertInto('volume_type_projects')
          .values({
            volume_type_id: id,
            project_id: 'pb',
            created_at: '2024-01-01T00:00:00.000000',
            deleted: 0,
          })
          .execute(),
      );
      await volumeTypeDestroy(db, id);
      assert.deepEqual(await volumeTypeAccessList(db, id), []);
    });

    test('project defaults: set, replace, list, unset', async () => {
      const a = await newType(db, true);
      const b = await newType(db, true);
      assert.deepEqual(await projectDefaultVolumeTypeSet(db, 'p1', a), {
        project_id: 'p1',
        volume_type_id: a,
      });
      await projectDefaultVolumeTypeSet(db, 'p1', b);
      await projectDefaultVolumeTypeSet(db, 'p0', a);
      assert.equal(await projectDefaultVolumeTypeId(db, 'p1'), b);
      assert.deepEqual(await projectDefaultVolumeTypeList(db), [
        { project_id: 'p0', volume_type_id: a },
        { project_id: 'p1', volume_type_id: b },
      ]);
      await projectDefaultVolumeTypeUnset(db, 'p1');
      await projectDefaultVolumeTypeUnset(db, 'p1');
      assert.equal(await projectDefaultVolumeTypeId(db, 'p1'), null);
      await projectDefaultVolumeTypeUnset(db, 'p0');
    });

    test('QoS specs: create, names unique among live specs, keys, list, associate, delete', async () => {
      const q = await qosSpecsCreate(db, {
        name: 'Gold',
        consumer: 'front-end',
        specs: { read_iops_sec: '100', skipped: null },
      });
      assert.deepEqual(
        { name: q.name, consumer: q.consumer, specs: q.specs },
        { name: 'Gold', consumer: 'front-end', specs: { read_iops_sec: '100' } },
      );
      await assert.rejects(
        qosSpecsCreate(db, { name: 'Gold', consumer: 'back-end', specs: {} }),
        QoSSpecsExists,
      );
      const lower = await qosSpecsCreate(db, { name: 'gold', consumer: 'back-end', specs: {} });
      assert.notEqual(lower.id, q.id, 'names compare case-sensitively (MySQL *_ci)');

      await qosSpecsUpdateKeys(db, q.id, { read_iops_sec: '200', write_iops_sec: null, consumer: 'both' });
      const updated = await qosSpecsGet(db, q.id);
      assert.equal(updated?.consumer, 'both');
      assert.deepEqual(updated?.specs, { read_iops_sec: '200', write_iops_sec: null });
      await qosSpecsDeleteKeys(db, updated, ['write_iops_sec']);
      assert.deepEqual((await qosSpecsGet(db, q.id))?.specs, { read_iops_sec: '200' });

      assert.deepEqual(
        (await qosSpecsList(db, { value: 'Gold' }, {})).map((s) => s.id),
        [q.id],
      );
      assert.deepEqual(
        (await qosSpecsList(db, {}, { sort: [{ key: 'value', dir: 'asc' }] })).map((s) => s.name),
        ['Gold', 'gold'],
        'code-point order',
      );

      const typeId = await newType(db, true);
      await qosSpecsAssociate(db, q.id, typeId);
      assert.deepEqual(
        (await qosSpecsAssociations(db, q.id)).map((x) => x.id),
        [typeId],
      );
      await qosSpecsDelete(db, lower.id);
      assert.equal(await qosSpecsGet(db, lower.id), null);
      const again = await qosSpecsCreate(db, { name: 'gold', consumer: 'back-end', specs: {} });
      assert.equal(again.name, 'gold');
    });

    test('encryption: one live row per type, update, delete', async () => {
      const typeId = await newType(db, true);
      assert.equal(await volumeTypeEncryptionGet(db, typeId), null);
      const row = await volumeTypeEncryptionCreate(db, typeId, {
        provider: 'luks',
        control_location: 'front-end',
        key_size: 256,
      });
      const got = await volumeTypeEncryptionGet(db, typeId);
      assert.equal(got?.encryption_id, row.encryption_id);
      assert.equal(Number(got?.key_size), 256);
      assert.equal(got?.cipher, null);
      assert.equal(await volumeTypeEncryptionUpdate(db, typeId, { cipher: 'aes-xts-plain64' }), true);
      assert.equal((await volumeTypeEncryptionGet(db, typeId))?.cipher, 'aes-xts-plain64');
      assert.equal(await volumeTypeEncryptionDelete(db, typeId), true);
      assert.equal(await volumeTypeEncryptionDelete(db, typeId), false);
      assert.equal(await volumeTypeEncryptionUpdate(db, typeId, { cipher: 'x' }), false);
    });
  });
}
