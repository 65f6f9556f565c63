/**
 * Manage / unmanage with Debian's python3-cinderclient against a real `kindling serve` (noauth):
 * `cinder manageable-list`, `cinder manage` of a file written outside Kindling, `cinder unmanage`,
 * and the snapshot commands (`snapshot-unmanage`, `snapshot-manageable-list`, `snapshot-manage`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { open, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientSkipReason, kindlingForSuite, runClient, waitFor } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const skip = clientSkipReason('cinder');
const GiB = 1024 ** 3;

async function readText(path: string, length: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, 0);
    return buf.toString();
  } finally {
    await fh.close();
  }
}

describe('manage / unmanage with the cinder client', { skip }, () => {
  const kindling = kindlingForSuite();
  const cinder = (args: string[], expectOk = true) =>
    runClient(kindling, 'cinder', ['--os-volume-api-version', '3.8', ...args], { expectOk });
  const dir = () => join(kindling.stateDir, 'volumes');
  let pool = '';
  let volumeId = '';

  async function waitStatus(show: 'show' | 'snapshot-show', id: string, status: string) {
    return waitFor(
      `${show} ${id} → ${status}`,
      async () => {
        const p = parseProperties((await cinder([show, id])).stdout);
        return p.status === status ? p : undefined;
      },
      20_000,
    );
  }

  test('cinder manageable-list, manage a file written outside Kindling, unmanage it', async () => {
    const ref = parseProperties((await cinder(['create', '1', '--name', 'ref'])).stdout);
    pool = (await waitStatus('show', ref.id ?? '', 'available'))['os-vol-host-attr:host'] ?? '';
    const host = pool.slice(0, pool.indexOf('#'));
    const legacy = join(dir(), 'legacy.img');
    await writeFile(legacy, 'written outside');
    await truncate(legacy, GiB);

    const listed = parseTable((await cinder(['manageable-list', host])).stdout).rows;
    const row = listed.find((r) => r.reference?.includes('legacy.img'));
    assert.ok(row, JSON.stringify(listed));
    assert.equal(row.safe_to_manage, 'True');
    assert.equal(row.size, '1');
    const own = listed.find((r) => r.reference?.includes(`volume-${ref.id}`));
    assert.deepEqual(
      [own?.safe_to_manage, own?.reason_not_safe, own?.cinder_id],
      ['False', 'Volume already managed.', ref.id],
    );

    const m = parseProperties(
      (await cinder(['manage', '--name', 'adopted', '--bootable', pool, 'legacy.img'])).stdout,
    );
    volumeId = m.id ?? '';
    const v = await waitStatus('show', volumeId, 'available');
    assert.equal(v.size, '1');
    assert.equal(v.bootable, 'true');
    const file = join(dir(), `volume-${volumeId}`);
    assert.equal(await readText(file, 15), 'written outside');
    assert.equal(existsSync(legacy), false);

    await cinder(['unmanage', 'adopted']);
    await waitFor(
      'adopted unmanaged',
      async () => {
        const r = await cinder(['show', volumeId], false);
        return r.code !== 0 ? true : undefined;
      },
      20_000,
    );
    assert.equal(await readText(file, 15), 'written outside');
    const again = parseTable((await cinder(['manageable-list', '--detailed', 'False', host])).stdout).rows;
    const back = again.find((r) => r.reference?.includes(`volume-${volumeId}`));
    assert.equal(back?.safe_to_manage, 'True');

    // Managed again by its own name, with source-name given explicitly.
    const m2 = parseProperties(
      (await cinder(['manage', '--id-type', 'source-name', '--name', 'again', pool, `volume-${volumeId}`]))
        .stdout,
    );
    volumeId = m2.id ?? '';
    await waitStatus('show', volumeId, 'available');
  });

  test('cinder snapshot-unmanage, snapshot-manageable-list, snapshot-manage', async () => {
    const s = parseProperties((await cinder(['snapshot-create', volumeId, '--name', 's1'])).stdout);
    await waitStatus('snapshot-show', s.id ?? '', 'available');
    await cinder(['snapshot-unmanage', s.id ?? '']);
    await waitFor(
      's1 unmanaged',
      async () => ((await cinder(['snapshot-show', s.id ?? ''], false)).code !== 0 ? true : undefined),
      20_000,
    );
    assert.ok(existsSync(join(dir(), `snapshot-${s.id}`)));
    const host = pool.slice(0, pool.indexOf('#'));
    const listed = parseTable((await cinder(['snapshot-manageable-list', host])).stdout).rows;
    const row = listed.find((r) => r.reference?.includes(`snapshot-${s.id}`));
    assert.equal(row?.safe_to_manage, 'True', JSON.stringify(listed));
    const m = parseProperties(
      (await cinder(['snapshot-manage', '--name', 's2', volumeId, `snapshot-${s.id}`])).stdout,
    );
    const shown = await waitStatus('snapshot-show', m.id ?? '', 'available');
    assert.equal(shown.name, 's2');
    assert.equal(shown.volume_id, volumeId);
  });
});
