/**
 * What Keystone costs a Kindling in keystone mode, per token: issues `--tokens` new tokens of one
 * Keystone user, then sends one `GET /v3/<project>/volumes?limit=1` per token, all at once (each
 * token new to Kindling: it must validate them with Keystone), then the same requests again (every
 * token now in Kindling's cache), and reports the wall time and per-request latency of both rounds.
 *
 *     npx tsx bench/keystone-tokens.ts --url http://127.0.0.1:8776 --keystone http://127.0.0.1:5001 \
 *       [--user admin] [--project admin] [--password secret] [--tokens 64] [--rounds 3]
 *
 * `bench/run-keystone.sh --tokens [N]` starts the Keystone and the Kindling for it. A cached token
 * costs no Keystone round trip, so the cached round should be as fast as noauth; new tokens are
 * validated concurrently, at most 16 at once, so the new round's wall time grows by one validation
 * per 16 tokens, not per token.
 */
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { issueToken, type IssuedToken } from './lib/keystone.js';
import { fmtMs, nowMs, summarize } from './lib/stats.js';

/** Sends one request per token at once; returns the wall time and each request's latency. */
async function round(pool: Pool, tokens: IssuedToken[]): Promise<{ wallMs: number; ms: number[] }> {
  const t0 = nowMs();
  const ms = await Promise.all(
    tokens.map(async ({ token, projectId }) => {
      const start = nowMs();
      const res = await pool.request({
        method: 'GET',
        path: `/v3/${projectId}/volumes?limit=1`,
        headers: { 'x-auth-token': token, accept: 'application/json' },
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET /volumes with a token answered ${res.statusCode}`);
      return nowMs() - start;
    }),
  );
  return { wallMs: nowMs() - t0, ms };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8776' },
      keystone: { type: 'string', default: 'http://127.0.0.1:5001' },
      user: { type: 'string', default: 'admin' },
      project: { type: 'string', default: 'admin' },
      password: { type: 'string', default: 'secret' },
      tokens: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const n = Number(values.tokens);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(rounds) || rounds < 1)
    throw new Error('--tokens and --rounds must be positive integers');
  const pool = new Pool(values.url, { connections: n, pipelining: 1 });
  console.log(`| round | tokens | wall ms | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|`);
  try {
    for (let r = 0; r < rounds; r++) {
      console.error(`issuing ${n} tokens of ${values.user}`);
      const tokens: IssuedToken[] = [];
      for (let i = 0; i < n; i++)
        tokens.push(await issueToken(values.keystone, values.user, values.project, values.password));
      for (const label of ['new tokens', 'the same tokens, cached']) {
        const { wallMs, ms } = await round(pool, tokens);
        const s = summarize(ms);
        console.log(`| ${label} | ${n} | ${fmtMs(wallMs)} | ${fmtMs(s.p50)} | ${fmtMs(s.p99)} |`);
      }
    }
  } finally {
    await pool.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
