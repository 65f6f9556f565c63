/**
 * Volume actions with the real Debian `cinder` client against `kindling serve` with two file
 * backends: `cinder extend` grows the volume file, `cinder retype` changes the type in place,
 * refuses a type of the other backend without migration and moves the volume with
 * `--migration-policy on-demand`; the per-type quota follows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { clientSkipReason, kindlingForSuite, runClient, waitFor } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const GiB = 1024 ** 3;
const CONFIG = `[DEFAULT]
enabled_backends = alpha,beta
[alpha]
volume_driver = file
[beta]
volume_driver = file
`;

describe('cinder extend / retype against Kindling (noauth)', { skip: clientSkipReason('cinder') }, () => {
  const kindling = kindlingForSuite({ configText: CONFIG });
  let id = '';

  const cinder = (args: string[]) => runClient(kindling, 'cinder', args);

  /** `cinder show` once `ready` accepts it. */
  async function showWhen(what: string, ready: (v: Record<string, string>) => boolean) {
    return waitFor(
      what,
      async () => {
        const v = parseProperties((await cinder(['show', id])).stdout);
        return ready(v) ? v : undefined;
      },
      15_000,
    );
  }

  async function quotaInUse(): Promise<Record<string, string>> {
    const rows = parseTable((await cinder(['quota-usage', 'admin'])).stdout).rows;
    return Object.fromEntries(rows.map((r) => [r.Type ?? '', r.In_use ?? '']));
  }

  test('types on each backend, and a volume on alpha', async () => {
    for (const [name, backend] of [
      ['on-alpha', 'alpha'],
      ['alpha-gold', 'alpha'],
      ['on-beta', 'beta'],
    ] as const) {
      await cinder(['type-create', name]);
      await cinder(['type-key', name, 'set', `volume_backend_name=${backend}`]);
    }
    id =
      parseProperties((await cinder(['create', '1', '--name', 'grow', '--volume-type', 'on-alpha'])).stdout)
        .id ?? '';
    const v = await showWhen('the volume to be available', (x) => x.status === 'available');
    assert.match(v['os-vol-host-attr:host'] ?? '', /@alpha#alpha$/);
  });

  test('cinder extend grows the volume file to the new size', async () => {
    await cinder(['extend', id, '2']);
    const v = await showWhen('the volume to be 2 GiB', (x) => x.size === '2' && x.status === 'available');
    assert.equal(v.size, '2');
    assert.equal((await stat(join(kindling.stateDir, 'volumes', 'alpha', `volume-${id}`))).size, 2 * GiB);
    const q = await quotaInUse();
    assert.equal(q.gigabytes, '2');
    assert.equal(q['gigabytes_on-alpha'], '2');
  });

  test('cinder retype to another type of the same backend changes the type in place', async () => {
    await cinder(['retype', id, 'alpha-gold']);
    const v = await showWhen(
      'the new type',
      (x) => x.volume_type === 'alpha-gold' && x.status === 'available',
    );
    assert.match(v['os-vol-host-attr:host'] ?? '', /@alpha#alpha$/);
    const q = await quotaInUse();
    assert.deepEqual(
      [q['volumes_on-alpha'], q['volumes_alpha-gold'], q['gigabytes_alpha-gold']],
      ['0', '1', '2'],
    );
  });

  test('cinder retype to a type of the other backend: kept without migration, moved on demand', async () => {
    await cinder(['retype', id, 'on-beta']);
    // The API answered with the volume `retyping`; the backend refuses (no migration allowed) and
    // the volume is available again with its type and host.
    const kept = await showWhen('the refused retype to settle', (x) => x.status === 'available');
    assert.equal(kept.volume_type, 'alpha-gold');

    await cinder(['retype', '--migration-policy', 'on-demand', id, 'on-beta']);
    const moved = await showWhen(
      'the migration',
      (x) => x.volume_type === 'on-beta' && x.status === 'available',
    );
    assert.match(moved['os-vol-host-attr:host'] ?? '', /@beta#beta$/);
    assert.equal(moved.migration_status, 'success');
    assert.equal((await stat(join(kindling.stateDir, 'volumes', 'beta', `volume-${id}`))).size, 2 * GiB);
    const q = await quotaInUse();
    assert.deepEqual(
      [q['volumes_alpha-gold'], q['volumes_on-beta'], q['gigabytes_on-beta']],
      ['0', '1', '2'],
    );
  });
});
