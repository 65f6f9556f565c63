/**
 * Clusters and work-cleanup through the Debian `cinder` client (python3-cinderclient) against a
 * real `kindling serve` whose volume service is in cluster `c1` (`[DEFAULT] cluster`):
 * `cluster-list` (and `--detailed`, filters), `cluster-show`, `cluster-disable --reason`,
 * `cluster-enable`, `work-cleanup`; and `service-list` showing the Cluster column.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientSkipReason, kindlingForSuite, runClient } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

describe('clusters with the cinder client', { skip: clientSkipReason('cinder') }, () => {
  const kindling = kindlingForSuite({
    env: { KINDLING__DEFAULT__host: 'clhost', KINDLING__DEFAULT__cluster: 'c1' },
  });
  const cinder = (args: string[], expectOk = true) =>
    runClient(kindling, 'cinder', ['--os-volume-api-version', '3.26', ...args], { expectOk });

  test('cluster-list, cluster-show, cluster-disable and cluster-enable', async () => {
    const list = parseTable((await cinder(['cluster-list'])).stdout);
    assert.deepEqual(list.header, ['Name', 'Binary', 'State', 'Status']);
    assert.deepEqual(list.rows, [
      { Name: 'c1@file', Binary: 'cinder-volume', State: 'up', Status: 'enabled' },
    ]);

    const detailed = parseTable(
      (await cinder(['cluster-list', '--detailed', '--name', 'c1', '--is-up', 'true'])).stdout,
    );
    assert.equal(detailed.rows.length, 1);
    assert.deepEqual(
      [
        detailed.rows[0]!['Num Hosts'],
        detailed.rows[0]!['Num Down Hosts'],
        detailed.rows[0]!['Disabled Reason'],
      ],
      ['1', '0', '-'],
    );
    assert.deepEqual(parseTable((await cinder(['cluster-list', '--num-down-hosts', '1'])).stdout).rows, []);

    const shown = parseProperties((await cinder(['cluster-show', 'c1@file'])).stdout);
    assert.deepEqual(
      [
        shown.name,
        shown.binary,
        shown.state,
        shown.status,
        shown.num_hosts,
        shown.frozen,
        shown.replication_status,
      ],
      ['c1@file', 'cinder-volume', 'up', 'enabled', '1', 'False', 'not-capable'],
    );
    const missing = await cinder(['cluster-show', 'nope'], false);
    assert.notEqual(missing.code, 0);
    assert.match(
      missing.stderr,
      /Cluster \{'binary': 'cinder-volume', 'name': 'nope'\} could not be found\. \(HTTP 404\)/,
    );

    const disabled = parseProperties(
      (await cinder(['cluster-disable', 'c1@file', '--reason', 'rack maintenance'])).stdout,
    );
    assert.deepEqual([disabled.status, disabled.disabled_reason], ['disabled', 'rack maintenance']);
    const afterDisable = parseTable(
      (await cinder(['cluster-list', '--disabled', 'true', '--detailed'])).stdout,
    );
    assert.deepEqual(
      afterDisable.rows.map((r) => [r.Name, r.Status, r['Disabled Reason']]),
      [['c1@file', 'disabled', 'rack maintenance']],
    );
    const enabled = parseProperties((await cinder(['cluster-enable', 'c1@file'])).stdout);
    assert.deepEqual([enabled.status, enabled.disabled_reason], ['enabled', 'None']);

    const services = parseTable((await cinder(['service-list', '--binary', 'cinder-volume'])).stdout);
    assert.deepEqual(
      services.rows.map((r) => [r.Host, r.Cluster]),
      [['clhost@file', 'c1@file']],
    );
  });

  test('work-cleanup: nothing down by default; the live service when asked for up ones', async () => {
    const none = await cinder(['work-cleanup']);
    assert.match(none.stdout, /No cleanable services matched cleanup criteria\./);

    const up = await cinder(['work-cleanup', '--cluster', 'c1@file', '--is-up', 'true']);
    assert.match(up.stdout, /Following services will be cleaned:/);
    const table = parseTable(up.stdout);
    assert.deepEqual(table.header, ['ID', 'Cluster Name', 'Host', 'Binary']);
    assert.deepEqual(
      table.rows.map((r) => [r['Cluster Name'], r.Host, r.Binary]),
      [['c1@file', 'clhost@file', 'cinder-volume']],
    );

    const bad = await cinder(
      ['work-cleanup', '--resource-id', '8a3c3e6e-2f9b-4b8e-9a55-3b1f2f0f4a11'],
      false,
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /There is no resource with UUID %s pending cleanup\..*\(HTTP 400\)/);
  });
});
