/**
 * Child process for the SQLite concurrency test of quota-engine.test.ts: opens its own connection
 * to the database file and runs `count` concurrent reserves of one volume, then prints how many
 * succeeded and how many were over quota, as JSON on stdout.
 * Usage: node --import tsx quota-reserve-child.ts <url> <project> <count>
 */
import { openDatabase } from '../../src/db/connection.js';
import { QuotaEngine } from '../../src/quota/quota-engine.js';
import { OverQuota } from '../../src/quota/over-quota.js';

const [url, project, count] = process.argv.slice(2);
if (!url || !project || !count) throw new Error('usage: quota-reserve-child.ts <url> <project> <count>');
const h = await openDatabase(url);
const q = new QuotaEngine(h, { defaults: {}, reservation_expire: 86400, use_default_quota_class: true });
let ok = 0;
let over = 0;
await Promise.all(
  Array.from({ length: Number(count) }, async () => {
    try {
      await q.reserve(project, { volumes: 1, gigabytes: 1 });
      ok++;
    } catch (e) {
      if (!(e instanceof OverQuota)) throw e;
      over++;
    }
  }),
);
await h.close();
process.stdout.write(JSON.stringify({ ok, over }));
