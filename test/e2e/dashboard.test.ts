/**
 * The dashboard (`/dashboard`) in a real browser: Playwright (`playwright-core`) driving Debian's
 * Chromium against an embedded Kindling listening on a free port. It asserts what a user sees:
 * the pool's capacity bars, the services with a down one highlighted, volumes counted by status,
 * recent errors, a search by name and by id, a volume's page with its user message and its flow
 * trace, a new volume appearing without a reload, and, in keystone mode (a fake Keystone), an
 * admin token asked for and a member's refused. A failing step leaves a screenshot in the test's
 * temporary directory (its path is printed). `KINDLING_DASHBOARD_SCREENSHOT=<file>` also saves
 * the overview there (docs/dashboard.png is made so).
 *
 * Chromium is installed with apt when missing (scripts/lib/apt-ensure.sh; .ci/run installs it);
 * where it cannot be, the tests are skipped with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startTestKindling, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { serviceGetOrCreate, serviceMarkStopped } from '../../src/db/api/services.js';
import { FakeKeystone } from '../auth/fake-keystone.js';
import { REPO_ROOT } from '../support/server-process.js';

const CHROMIUM = '/usr/bin/chromium';
/** Without the background-networking flags Chromium dials out, and this machine's network refuses it. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** The machine may be loaded: a page may take its time. */
const UI_MS = 30_000;
const SUITE_MS = 600_000;

/** Installs Chromium when missing; the reason to skip when it cannot be. */
function ensureChromium(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const r = spawnSync(
    'bash',
    [
      '-c',
      'log() { echo "dashboard test: $*" >&2; }; cannot_install() { echo "$*" >&2; exit 3; }; ' +
        '. scripts/lib/apt-ensure.sh; apt_ensure chromium chromium',
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 1_200_000 },
  );
  if (r.status === 0 && existsSync(CHROMIUM)) return false;
  const why = `${r.stderr ?? ''}`.trim().split('\n').at(-1) || `exit ${r.status}`;
  return `no Chromium at ${CHROMIUM} (${why}): apt-get install chromium (CI installs it)`;
}

const skip = ensureChromium();
const work = mkdtempSync(join(tmpdir(), 'kindling-dashboard-'));
let failed = false;
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 120_000 });
});
after(async () => {
  await browser?.close();
  if (failed) console.log(`dashboard test: screenshots of the failures kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

/** Runs one step of a test; on failure, a screenshot of `page` into the temporary directory. */
async function step(page: Page, name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    failed = true;
    const path = join(work, `${name.replace(/[^\w-]+/g, '_')}.png`);
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    throw new Error(`${name}: ${(e as Error).message}\n(screenshot: ${path})`, { cause: e });
  }
}

/** The page's text of `selector` (the first match), once it is there. */
async function text(page: Page, selector: string): Promise<string> {
  const l = page.locator(selector).first();
  await l.waitFor({ timeout: UI_MS });
  return (await l.textContent()) ?? '';
}

/** Polls the page until `fn` holds (the dashboard refreshes by itself every second here). */
async function until(page: Page, what: string, fn: () => Promise<boolean>, ms = UI_MS): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(200);
  }
}

/** The `data-id` of each row. */
async function rowIds(rows: Locator): Promise<string[]> {
  // NOTE: the tests' TypeScript has no DOM types: in page functions, elements are `any`.
  return rows.evaluateAll((trs) => trs.map((tr) => String(tr.dataset.id)));
}

/** The embedded Kindling `k` on a real port (the browser needs a listener, not `inject`). */
async function listen(k: TestKindling): Promise<string> {
  await k.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(k.app.server.address() as AddressInfo).port}`;
}

describe('dashboard, noauth', { skip, timeout: SUITE_MS }, () => {
  let k: TestKindling;
  let base: string;
  let page: Page;
  let good: string;
  let bad: string;

  before(async () => {
    if (skip) return;
    k = await startTestKindling({ KINDLING__dashboard__refresh_interval: '1' });
    base = await listen(k);
    // A volume service that stopped reporting an hour ago: the services list must show it down.
    const ghost = await serviceGetOrCreate(k.db, {
      host: 'ghost@gone',
      binary: 'cinder-volume',
      topic: 'cinder-volume',
      availability_zone: 'nova',
    });
    await serviceMarkStopped(k.db, ghost.id, 3600);
    const type = await k.req('POST', '/v3/admin/types', {
      volume_type: { name: 'nowhere', extra_specs: { volume_backend_name: 'no-such-backend' } },
    });
    assert.equal(type.status, 200, type.text);
    const g = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, name: 'dash-good' } });
    const b = await k.req('POST', '/v3/admin/volumes', {
      volume: { size: 1, name: 'dash-bad', volume_type: 'nowhere' },
    });
    assert.equal(g.status, 202, g.text);
    assert.equal(b.status, 202, b.text);
    good = g.body.volume.id;
    bad = b.body.volume.id;
    await waitForVolumeStatus(k, good, ['available']);
    await waitForVolumeStatus(k, bad, ['error']);
    page = await browser!.newPage({ viewport: { width: 1300, height: 1000 } });
    page.setDefaultTimeout(UI_MS);
  });
  after(async () => {
    await page?.close();
    await k?.close();
  });

  test('the page is served with its files; /dashboard redirects to /dashboard/', async () => {
    const r = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    assert.equal(r.status, 301);
    assert.equal(r.headers.get('location'), 'dashboard/');
    const html = await fetch(`${base}/dashboard/`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await html.text(), /<script type="module" src="main.js">/);
    const js = await fetch(`${base}/dashboard/main.js`);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    const missing = await fetch(`${base}/dashboard/nothing.js`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), {
      itemNotFound: { code: 404, message: 'The resource could not be found.' },
    });
    const session = await (await fetch(`${base}/dashboard/session`)).json();
    assert.deepEqual(session, {
      auth_strategy: 'noauth',
      project_id: 'admin',
      user_id: 'admin',
      roles: ['admin'],
      refresh_interval: 1,
    });
  });

  test('overview: pool capacity bars, services with the down one highlighted, counts, errors', async () => {
    const pools = (await k.req('GET', '/v3/admin/scheduler-stats/get_pools?detail=true')).body.pools;
    assert.ok(pools.length >= 1);
    await step(page, 'overview', async () => {
      await page.goto(`${base}/dashboard`);
      await until(page, 'the status line to say Live', async () =>
        (await text(page, '#status')).startsWith('Live'),
      );
      for (const p of pools) {
        const card = page.locator(`article.pool[data-pool="${p.name}"]`);
        await card.waitFor();
        assert.equal(await card.locator('h3').textContent(), p.name);
        const used = card.locator('[data-meter="used"] [role="meter"]');
        assert.equal(
          Number(await used.getAttribute('aria-valuemax')),
          Number(p.capabilities.total_capacity_gb),
        );
        const usedGb = Number(p.capabilities.total_capacity_gb) - Number(p.capabilities.free_capacity_gb);
        assert.ok(Math.abs(Number(await used.getAttribute('aria-valuenow')) - usedGb) < 0.01);
        assert.match((await used.getAttribute('aria-valuetext')) ?? '', / GiB used \(\d+ %\), .* GiB free$/);
        // the bar is drawn: its fill is as wide as the share used (measured again until it holds:
        // a refresh may replace the card between finding the bar and measuring it)
        const share = usedGb / Number(p.capabilities.total_capacity_gb);
        await until(page, `the used bar drawn at ${share}`, async () => {
          const [bar, fill] = await Promise.all([used.boundingBox(), used.locator('.fill').boundingBox()]);
          return !!bar && !!fill && bar.width > 50 && Math.abs(fill.width / bar.width - share) < 0.02;
        });
        for (const m of ['allocated', 'provisioned'])
          assert.equal(await card.locator(`[data-meter="${m}"] [role="meter"]`).count(), 1);
        // (the pool's allocated capacity is as its last report says: the volume may not be in yet)
        assert.match(
          (await card.locator('[data-meter="allocated"]').textContent()) ?? '',
          /^Allocated[\d.]+ GiB allocated \(\d+ %\)$/,
        );
      }

      const ghost = page.locator('#services tr[data-service="cinder-volume ghost@gone"]');
      await ghost.waitFor();
      assert.equal(await ghost.getAttribute('data-state'), 'down');
      assert.match((await ghost.getAttribute('class')) ?? '', /\bdown\b/);
      const bg = await ghost
        .locator('td')
        .first()
        .evaluate((td) => String(td.ownerDocument.defaultView.getComputedStyle(td).backgroundColor));
      assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'a down service is highlighted');
      const scheduler = page.locator('#services tr[data-service^="cinder-scheduler "]');
      assert.equal(await scheduler.getAttribute('data-state'), 'up');
      assert.doesNotMatch((await scheduler.getAttribute('class')) ?? '', /\bdown\b/);
      assert.match(await text(page, '#services .summary'), /, 1 down$/);

      const volumes = page.locator('.count-card[data-kind="volumes"]');
      await until(
        page,
        'two volumes counted',
        async () => (await volumes.locator('.total').textContent()) === '2',
      );
      assert.equal(await volumes.locator('[data-status="available"] .n').textContent(), '1');
      assert.equal(await volumes.locator('[data-status="error"] .n').textContent(), '1');
      assert.equal(await page.locator('.count-card[data-kind="snapshots"] .total').textContent(), '0');

      const errorRow = page.locator(`#error-resources tr[data-id="${bad}"]`);
      await errorRow.waitFor();
      assert.match((await errorRow.textContent()) ?? '', /volume.*dash-bad.*error/);
      assert.equal(await page.locator(`#error-resources tr[data-id="${good}"]`).count(), 0);
      assert.match(
        await text(page, '#recent-messages tr.message'),
        /Could not find any available weighted backend/,
      );
      if (process.env.KINDLING_DASHBOARD_SCREENSHOT)
        await page.screenshot({ path: process.env.KINDLING_DASHBOARD_SCREENSHOT, fullPage: true });
    });
  });

  test('volumes: a search finds a volume by name, and by the start of its id', async () => {
    await step(page, 'search', async () => {
      await page.locator('nav a[data-nav="volumes"]').click();
      const rows = page.locator('section.list[data-list="volumes"] tbody tr');
      await until(page, 'both volumes listed', async () => (await rows.count()) === 2);
      await page.getByRole('searchbox', { name: /search volumes/i }).fill('good');
      await until(page, 'only dash-good listed', async () => {
        const ids = await rowIds(rows);
        return ids.length === 1 && ids[0] === good;
      });
      assert.match((await rows.first().textContent()) ?? '', /dash-good.*available/);
      assert.match(await text(page, '.pager .range'), /^1–1 of 1$/);
      assert.match(page.url(), /#\/volumes\?q=good$/);

      await page.getByRole('searchbox').fill(bad.slice(0, 8));
      await until(page, 'dash-bad found by its id', async () => {
        const ids = await rowIds(rows);
        return ids.includes(bad) && !ids.includes(good);
      });

      await page.getByRole('searchbox').fill('no volume is called this');
      await until(page, 'nothing found', async () =>
        /No volume matches/.test((await page.locator('section.list .results').textContent()) ?? ''),
      );
    });
  });

  test("a volume's page: its fields, its user message and its flow trace", async () => {
    const message = (
      await k.req('GET', `/v3/admin/messages?resource_uuid=${bad}`, undefined, {
        'openstack-api-version': 'volume 3.70',
      })
    ).body.messages[0];
    assert.ok(message, 'the volume that found no backend has a user message');
    const traced = (await k.req('GET', `/v3/admin/volumes/${bad}/trace`)).status === 200;
    await step(page, 'volume page', async () => {
      await page.goto(`${base}/dashboard/#/volumes`);
      await page.getByRole('searchbox', { name: /search volumes/i }).fill('dash-bad');
      const link = page.locator(`section.list tr[data-id="${bad}"] a.volume-link`);
      // NOTE: clicked again until the page follows: a refresh may replace the row as it is clicked.
      const opened = new RegExp(`#/volume/${bad}$`);
      await until(page, 'the volume page to open', async () => {
        if (!opened.test(page.url())) await link.click({ timeout: 5_000 });
        return opened.test(page.url());
      });
      await until(page, 'the fields', async () => (await text(page, 'dd[data-field="id"]')) === bad);
      assert.equal(await text(page, 'dd[data-field="name"]'), 'dash-bad');
      assert.equal(await text(page, 'dd[data-field="status"]'), 'error');
      assert.equal(await text(page, 'dd[data-field="type"]'), 'nowhere');
      const msg = page.locator(`#messages tr[data-message="${message.id}"]`);
      await msg.waitFor();
      assert.equal(await msg.locator('.message-text').textContent(), message.user_message);
      if (!traced) return;
      const trace = page.locator('#trace');
      await until(page, 'the trace section', async () => await trace.isVisible());
      for (const flow of ['volume:create_api', 'volume:create_scheduler'])
        await trace.locator(`article.flow[data-flow="${flow}"]`).waitFor();
      const api = trace.locator('article.flow[data-flow="volume:create_api"]');
      assert.equal(
        await api.locator('tr[data-task="EntryCreateTask"]').getAttribute('data-outcome'),
        'success',
      );
      const decision = trace.locator('article.flow[data-flow="volume:create_scheduler"] .decision');
      assert.match((await decision.textContent()) ?? '', /no pool/);
      assert.match(
        (await decision.locator('tr[data-filter="CapabilitiesFilter"]').textContent()) ?? '',
        /no-such-backend/,
      );
    });
  });

  test('a new volume appears without a reload', async () => {
    await step(page, 'live update', async () => {
      await page.goto(`${base}/dashboard/`);
      const volumes = page.locator('.count-card[data-kind="volumes"]');
      await until(
        page,
        'two volumes counted',
        async () => (await volumes.locator('.total').textContent()) === '2',
      );
      // NOTE: a reload would make a new window object, without this mark.
      await page.evaluate(() => ((globalThis as any).notReloaded = true));
      const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, name: 'dash-live' } });
      assert.equal(r.status, 202, r.text);
      await until(
        page,
        'three volumes counted',
        async () => (await volumes.locator('.total').textContent()) === '3',
      );
      await waitForVolumeStatus(k, r.body.volume.id, ['available']);
      await until(
        page,
        'two available',
        async () => (await volumes.locator('[data-status="available"] .n').textContent()) === '2',
      );
      assert.equal(await page.evaluate(() => (globalThis as any).notReloaded), true);
    });
  });
});

describe('dashboard, option off', { timeout: SUITE_MS }, () => {
  test('[dashboard] enabled = false: /dashboard is not served', async () => {
    const k = await startTestKindling({ KINDLING__dashboard__enabled: 'false' }, { waitForPools: false });
    try {
      for (const path of ['/dashboard/', '/dashboard/main.js', '/dashboard/session']) {
        const r = await k.req('GET', path);
        assert.equal(r.status, 404, path);
      }
    } finally {
      await k.close();
    }
  });
});

describe('dashboard, keystone', { skip, timeout: SUITE_MS }, () => {
  let ks: FakeKeystone;
  let k: TestKindling;
  let base: string;
  let admin: string;
  let member: string;

  before(async () => {
    if (skip) return;
    ks = await new FakeKeystone().start();
    k = await startTestKindling(
      {
        KINDLING__DEFAULT__auth_strategy: 'keystone',
        KINDLING__keystone_authtoken__auth_url: `${ks.url}/v3`,
        KINDLING__keystone_authtoken__username: 'kindling',
        KINDLING__keystone_authtoken__password: 'secret',
        KINDLING__keystone_authtoken__project_name: 'service',
        KINDLING__dashboard__refresh_interval: '1',
      },
      { waitForPools: false },
    );
    admin = ks.issue({ userId: 'uadm', projectId: 'padm', roles: ['admin', 'member', 'reader'] });
    member = ks.issue({ userId: 'ua', projectId: 'pa', roles: ['member', 'reader'] });
    await waitFor(
      async () =>
        (await k.req('GET', '/v3/padm/scheduler-stats/get_pools', undefined, { 'x-auth-token': admin })).body
          ?.pools?.length > 0,
    );
    base = await listen(k);
  });
  after(async () => {
    await k?.close();
    await ks?.stop();
  });

  test('the session route: 401 without a token, 403 for a member, the admin told who they are', async () => {
    const none = await fetch(`${base}/dashboard/session`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    const m = await fetch(`${base}/dashboard/session`, { headers: { 'x-auth-token': member } });
    assert.equal(m.status, 403);
    assert.deepEqual(await m.json(), {
      forbidden: { code: 403, message: "Policy doesn't allow dashboard:view to be performed." },
    });
    const a = await fetch(`${base}/dashboard/session`, { headers: { 'x-auth-token': admin } });
    assert.equal(a.status, 200);
    assert.deepEqual(await a.json(), {
      auth_strategy: 'keystone',
      project_id: 'padm',
      user_id: 'uadm',
      roles: ['admin', 'member', 'reader'],
      refresh_interval: 1,
    });
  });

  test('the page asks for a token, refuses a member, lets an admin in', async () => {
    const context = await browser!.newContext({ viewport: { width: 1300, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_MS);
    try {
      await step(page, 'keystone login', async () => {
        await page.goto(`${base}/dashboard/`);
        const form = page.locator('#login-form');
        await form.waitFor();
        assert.equal(await page.locator('#main').textContent(), '');
        await page.getByLabel('Token').fill(member);
        await page.getByRole('button', { name: 'Open the dashboard' }).click();
        await until(page, 'the refusal', async () => /no admin role/.test(await text(page, '#login-error')));
        assert.equal(await page.locator('article.pool').count(), 0);
        assert.equal(
          await page.evaluate(() => Number((globalThis as any).sessionStorage.length)),
          0,
          'a refused token is not kept',
        );

        await page.getByLabel('Token').fill(admin);
        await page.getByRole('button', { name: 'Open the dashboard' }).click();
        await page.locator('article.pool').first().waitFor();
        assert.equal(await form.isVisible(), false);
        assert.match(await text(page, '#who'), /^uadm · project padm/);

        await page.getByRole('button', { name: 'Forget token' }).click();
        await form.waitFor();
        assert.equal(await page.locator('article.pool').count(), 0);
      });
      // A token in the URL's fragment (never sent to the server) opens the page directly.
      const direct = await context.newPage();
      await step(direct, 'keystone fragment token', async () => {
        await direct.goto(`${base}/dashboard/#token=${encodeURIComponent(admin)}`);
        await direct.locator('article.pool').first().waitFor({ timeout: UI_MS });
        assert.doesNotMatch(direct.url(), /token=/, 'the token is taken out of the URL');
      });
    } finally {
      await context.close();
    }
  });
});
