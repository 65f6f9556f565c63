// The dashboard's start: who is calling (GET /dashboard/session; keystone mode asks for an admin
// token), the routes of the URL's hash (#/, #/volumes, #/snapshots, #/backups, #/volume/<id>) and
// the refresh loop that keeps the current view live without reloading the page.
import { Api, ApiError, fetchSession } from './api.js';
import { h } from './dom.js';
import { list } from './lists.js';
import { overview } from './overview.js';
import { volumePage } from './volume.js';

const TOKEN_KEY = 'kindling.dashboard.token';
/** The token of noauth mode: every noauth caller is an admin. */
const NOAUTH_TOKEN = 'admin:admin';

const $ = (id) => document.getElementById(id);
const statusLine = $('status');

let ctx = null;
let view = null;
let generation = 0;
let timer = null;
let running = false;

function setStatus(text, tone = '') {
  statusLine.textContent = text;
  statusLine.className = tone;
}

/** `#/volumes?q=x&status=error` → `{ path: ['volumes'], params }`. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    params: new URLSearchParams(query),
  };
}

/** Rewrites the hash's query without a new history entry nor a new view. */
function setParams(values) {
  const { path } = parseHash();
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values))
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  history.replaceState(null, '', `#/${path.map(encodeURIComponent).join('/')}${text ? `?${text}` : ''}`);
}

function viewFor({ path, params }) {
  const [first, second] = path;
  if (!first) return overview(ctx);
  if (first === 'volume' && second) return volumePage(ctx, second);
  if (first === 'volumes' || first === 'snapshots' || first === 'backups')
    return list(ctx, first, params, setParams);
  return {
    root: h('p', { class: 'error' }, `Nothing here: #/${path.join('/')}.`),
    refresh: async () => {},
    nav: '',
    title: 'Not found',
  };
}

function show() {
  generation += 1;
  view = viewFor(parseHash());
  document.title = `${view.title} · Kindling`;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === view.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  $('main').replaceChildren(view.root);
  void refreshNow();
}

/** Refreshes the current view now, then every `refresh_interval` seconds. */
async function refreshNow() {
  clearTimeout(timer);
  if (running) {
    // NOTE: one refresh at a time; the one running is followed by another right away.
    timer = setTimeout(refreshNow, 50);
    return;
  }
  running = true;
  const mine = generation;
  const current = view;
  try {
    await current.refresh();
    if (mine === generation) {
      const now = new Date().toISOString().slice(11, 19);
      setStatus(`Live · updated ${now} UTC · every ${ctx.session.refresh_interval} s`, 'ok');
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && ctx.session.auth_strategy === 'keystone') {
      running = false;
      return askForToken('The token is no longer accepted (expired or revoked): give a new one.');
    }
    setStatus(`Cannot refresh: ${e instanceof Error ? e.message : String(e)} (retrying)`, 'error');
  } finally {
    running = false;
  }
  if (ctx && !document.hidden) timer = setTimeout(refreshNow, ctx.session.refresh_interval * 1000);
}

function askForToken(message) {
  clearTimeout(timer);
  ctx = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('main').replaceChildren();
  $('login').hidden = false;
  $('forget').hidden = true;
  $('who').textContent = '';
  $('login-error').textContent = message ?? '';
  setStatus('An admin token is needed.', 'error');
  $('token').focus();
}

async function start() {
  // A token in the fragment (`/dashboard/#token=…`, never sent to a server) is taken and removed.
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  }
  const stored = sessionStorage.getItem(TOKEN_KEY);
  setStatus('Connecting…');
  let answer;
  try {
    answer = await fetchSession(stored);
  } catch (e) {
    setStatus(`Cannot reach Kindling: ${e instanceof Error ? e.message : String(e)}`, 'error');
    setTimeout(start, 5000);
    return;
  }
  if (answer.status === 401)
    return askForToken(stored ? 'Keystone does not accept this token (expired, revoked or mistyped).' : null);
  if (answer.status === 403)
    return askForToken(
      `This token has no admin role: the dashboard needs an admin's token. (${answer.message})`,
    );
  if (answer.status !== 200) {
    setStatus(`The dashboard cannot start: ${answer.message}`, 'error');
    return;
  }
  const session = answer.body;
  const token = session.auth_strategy === 'noauth' ? NOAUTH_TOKEN : stored;
  ctx = { session, api: new Api(token, session.project_id), refreshNow: () => void refreshNow() };
  $('login').hidden = true;
  $('forget').hidden = session.auth_strategy !== 'keystone';
  $('who').textContent =
    session.auth_strategy === 'noauth'
      ? 'noauth: every caller is an admin'
      : `${session.user_id ?? '?'} · project ${session.project_id ?? '—'} · ${session.roles.join(', ')}`;
  show();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  void start();
});
$('forget').addEventListener('click', () => askForToken('Token forgotten.'));
window.addEventListener('hashchange', () => {
  if (ctx) show();
});
document.addEventListener('visibilitychange', () => {
  if (ctx && !document.hidden) void refreshNow();
});

void start();
