/**
 * Writes N live volume rows straight into a Kindling database, so a benchmark can measure a service
 * that already holds many volumes (`KINDLING_BENCH_PREFILL=N bench/run-embedded.sh …`). The rows are
 * `available` 1 GiB volumes of one project on one pool, oldest first, with no backing file: enough
 * for what the create path reads (the pool's allocation, the project's lists), not for attaching.
 *
 *     npx tsx bench/prefill-volumes.ts --connection sqlite:////tmp/x/kindling.sqlite --count 50000 \
 *       --project admin --host "$(hostname)@alpha#alpha"
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/connection.js';
import { liveVolumeRow } from './lib/volume-rows.js';
import { formatTimestamp } from '../src/common/time.js';

const { values: args } = parseArgs({
  options: {
    connection: { type: 'string' },
    count: { type: 'string', default: '10000' },
    project: { type: 'string', default: 'admin' },
    host: { type: 'string' },
  },
});
const count = Number(args.count);
if (!args.connection || !args.host || !Number.isInteger(count) || count < 0)
  throw new Error(
    'usage: prefill-volumes.ts --connection URL --host host@backend#pool [--count N] [--project P]',
  );

const h = await openDatabase(args.connection);
try {
  const type = await h.db
    .selectFrom('volume_types')
    .select('id')
    .where('name', '=', '__DEFAULT__')
    .where('deleted', '=', 0)
    .executeTakeFirstOrThrow();
  // An hour ago and before, one second apart: older than anything the benchmark creates.
  const start = Date.now() - 3_600_000 - count * 1000;
  for (let n = 0; n < count; n += 500) {
    const rows = Array.from({ length: Math.min(500, count - n) }, (_, i) =>
      liveVolumeRow({
        typeId: type.id,
        host: args.host!,
        project: args.project,
        name: `prefill-${n + i}`,
        createdAt: formatTimestamp(new Date(start + (n + i) * 1000)),
      }),
    );
    await h.db.insertInto('volumes').values(rows).execute();
  }
} finally {
  await h.close();
}
