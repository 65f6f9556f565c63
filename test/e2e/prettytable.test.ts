import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties, parseTable } from './prettytable.js';

const LIST = `WARNING: something noisy
+--------------------------------------+-----------+----------+------+
| ID                                   | Status    | Name     | Size |
+--------------------------------------+-----------+----------+------+
| 0b1c7c5e-0000-4000-8000-000000000001 | available | firstvol | 1    |
| 0b1c7c5e-0000-4000-8000-000000000002 | creating  | -        | 10   |
+--------------------------------------+-----------+----------+------+
`;

const SHOW = `+-------------+-----------------+
| Property    | Value           |
+-------------+-----------------+
| id          | abc             |
| name        | has | pipe      |
| description | None            |
+-------------+-----------------+
`;

describe('prettytable parser', () => {
  test('reads header and rows, skipping text before the table', () => {
    const t = parseTable(LIST);
    assert.deepEqual(t.header, ['ID', 'Status', 'Name', 'Size']);
    assert.equal(t.rows.length, 2);
    assert.deepEqual(t.rows[1], {
      ID: '0b1c7c5e-0000-4000-8000-000000000002',
      Status: 'creating',
      Name: '-',
      Size: '10',
    });
  });

  test('an empty table has a header and no rows', () => {
    const t = parseTable('+----+------+\n| ID | Name |\n+----+------+\n+----+------+\n');
    assert.deepEqual(t.header, ['ID', 'Name']);
    assert.deepEqual(t.rows, []);
  });

  test('property tables become a map, cells are cut by the border columns', () => {
    assert.deepEqual(parseProperties(SHOW), { id: 'abc', name: 'has | pipe', description: 'None' });
  });

  test('output without a table is an error', () => {
    assert.throws(() => parseTable('ERROR: No volume with a name or ID of x exists.'), /no table/);
  });
});
