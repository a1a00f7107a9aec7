// dashboard.mjs - cirque-web's dashboard in Debian's headless Chromium, driven over the DevTools
// protocol by puppeteer-core; run by tests/e2e/test_web_browser.sh, which started cirqued (a
// watcher `web` of 3 processes and `other` of 1) and cirque-web, and passes in the environment:
//   CIRQUE_URL         cirque-web's address (http://127.0.0.1:PORT)
//   CIRQUE_TOKEN       a token of its token file
//   CIRQUE_DAEMON_PID  cirqued's pid (the processes are its children)
//   CIRQUE_WEB_MARK, CIRQUE_OTHER_MARK  the start of each watcher's command line
//   CIRQUE_WEB_PIDS, CIRQUE_OTHER_PIDS  their pids, from /proc
//   CIRQUE_CTL         cirquectl;  CIRQUE_WEB_LOG  cirque-web's log
//   CIRQUE_SHOTS       where the screenshots go
// and a fresh profile directory as its argument (under the test's directory: what the test
// leaves behind is found by that path).
// Each step is asserted here (the page, and /proc); exits 1 with a clear message otherwise.
import puppeteer from 'puppeteer-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

class Failure extends Error {}
function fail(message) { throw new Failure(message); }

function env(name) {
  const value = process.env[name];
  if (value === undefined || value === '') fail(`${name} is not set`);
  return value;
}
const pidList = text => text.trim().split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);

const BASE = env('CIRQUE_URL'), TOKEN = env('CIRQUE_TOKEN'), DPID = Number(env('CIRQUE_DAEMON_PID'));
const WEB_MARK = env('CIRQUE_WEB_MARK'), OTHER_MARK = env('CIRQUE_OTHER_MARK');
const WEB_PIDS = pidList(env('CIRQUE_WEB_PIDS')), OTHER_PIDS = pidList(env('CIRQUE_OTHER_PIDS'));
const CTL = env('CIRQUE_CTL'), WEB_LOG = env('CIRQUE_WEB_LOG');
const SHOTS = env('CIRQUE_SHOTS'), PROFILE = process.argv[2] || fail('usage: dashboard.mjs PROFILE-DIR');
const T0 = Date.now();

function say(text) { console.log(`  [${((Date.now() - T0) / 1000).toFixed(2)}s] ${text}`); }

// --- /proc -----------------------------------------------------------------------------------

function read(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}
// A live process (a zombie counts as gone).
function alive(pid) {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}
const cmdline = pid => (read(`/proc/${pid}/cmdline`) || '').split('\0').join(' ');
// cirqued's children whose command line starts with MARK.
function childrenMatching(mark) {
  const list = read(`/proc/${DPID}/task/${DPID}/children`) || '';
  return pidList(list).filter(pid => cmdline(pid).startsWith(mark + ' ') && alive(pid));
}
function ctlStatus(name) {
  try { return execFileSync(CTL, ['status', name], { encoding: 'utf8' }); } catch (e) { return String(e.stdout); }
}

// Polls CONDITION (its value when truthy) every 20 ms until SECONDS have passed.
async function waitUntil(what, seconds, condition) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > end) fail(`${what}: not within ${seconds} s`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

const logCount = pattern => (read(WEB_LOG) || '').split('\n').filter(l => pattern.test(l)).length;
const CROSS_SITE = /refused an action from .*: a request from another site/;

// --- the page ----------------------------------------------------------------------------------

let shots = 0;
async function shot(page, name) {
  const file = path.join(SHOTS, `${String(++shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  say(`screenshot ${file}`);
}

// The rows of watcher NAME as the page shows them.
function rows(page, name) {
  return page.$$eval(`section.watcher[data-watcher="${name}"] tbody tr[data-wid]`, trs => trs.map(tr => ({
    wid: tr.dataset.wid, pid: tr.dataset.pid ? Number(tr.dataset.pid) : null,
    pidText: tr.querySelector('td.pid')?.textContent, state: tr.querySelector('td.state')?.textContent,
  })));
}
const pidsOf = list => list.map(r => r.pid).sort((a, b) => a - b);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// The rows list exactly PIDS, each RUNNING, its pid shown in td.pid.
async function checkListed(page, name, pids) {
  const list = await rows(page, name);
  if (!same(pidsOf(list), pids))
    fail(`the page lists ${name}'s pids ${pidsOf(list).join(' ') || 'none'}; /proc has ${pids.join(' ')}`);
  for (const r of list)
    if (r.pidText !== String(r.pid) || r.state !== 'RUNNING')
      fail(`${name}:${r.wid}: shows pid '${r.pidText}' state '${r.state}' (data-pid ${r.pid})`);
}

async function watcherStatus(page, name) {
  return page.$eval(`section.watcher[data-watcher="${name}"] h2 .status`, e => e.textContent);
}

// Clicks the watcher's form button ACTION, then waits for #notice to say how it went.
async function clickAction(page, name, action) {
  await page.$eval('#notice', e => { e.textContent = ''; });
  await page.click(`section.watcher[data-watcher="${name}"] form.actions button[value="${action}"]`);
  await page.waitForFunction(() => document.getElementById('notice').textContent !== '', { timeout: 10000 });
  return page.$eval('#notice', e => e.textContent);
}

// --- the steps ---------------------------------------------------------------------------------

// (1) JavaScript off: the server's HTML lists the processes.
async function withoutJavaScript(browser) {
  const page = await browser.newPage();
  await page.setJavaScriptEnabled(false);
  const response = await page.goto(BASE + '/', { waitUntil: 'load' });
  if (response.status() !== 200) fail(`GET / without JavaScript: status ${response.status()}`);
  await checkListed(page, 'web', WEB_PIDS);
  await checkListed(page, 'other', OTHER_PIDS);
  const live = await page.$eval('#live', e => e.textContent);
  if (!/static page/.test(live)) fail(`without JavaScript #live says '${live}'`);
  await shot(page, 'no-javascript');
  say(`without JavaScript: the page lists web ${WEB_PIDS.join(' ')} and other ${OTHER_PIDS.join(' ')}`);
  await page.close();
}

// (2) The live page lists the running processes.
async function livePage(page) {
  await page.goto(BASE + '/', { waitUntil: 'load' });
  await page.waitForSelector('#live.on', { timeout: 10000 }).catch(() =>
    fail('the page never said live (EventSource on /events)'));
  await checkListed(page, 'web', WEB_PIDS);
  await checkListed(page, 'other', OTHER_PIDS);
  await page.evaluate(() => { window.cirqueMarker = 'not reloaded'; });
  await shot(page, 'live');
  say(`live page lists web ${WEB_PIDS.join(' ')}`);
}

// (3) A process killed from outside: its row shows the new pid within 2 s, without a reload.
async function killedFromOutside(page, navigations) {
  const victim = WEB_PIDS[0];
  const wid = (await rows(page, 'web')).find(r => r.pid === victim).wid;
  const before = navigations.count;
  const start = Date.now();
  process.kill(victim, 'SIGKILL');
  const fresh = await page.waitForFunction((wid, victim) => {
    const tr = document.querySelector(`section.watcher[data-watcher="web"] tbody tr[data-wid="${wid}"]`);
    const pid = tr && Number(tr.dataset.pid);
    return pid && pid !== victim && tr.querySelector('td.pid').textContent === String(pid) ? pid : null;
  }, { polling: 'mutation', timeout: 2000 }, wid, victim)
    .then(handle => handle.jsonValue())
    .catch(async () => fail(`web:${wid} (pid ${victim} killed) shows no new pid within 2 s: ` +
                            JSON.stringify(await rows(page, 'web'))));
  const elapsed = Date.now() - start;
  if (await page.evaluate(() => window.cirqueMarker) !== 'not reloaded' || navigations.count !== before)
    fail('the page was reloaded');
  if (alive(victim)) fail(`pid ${victim} still alive after SIGKILL`);
  if (!alive(fresh) || !childrenMatching(WEB_MARK).includes(fresh))
    fail(`the new pid ${fresh} the page shows is no live process of web in /proc (${cmdline(fresh)})`);
  const state = await page.$eval(`section.watcher[data-watcher="web"] tbody tr[data-wid="${wid}"] td.state`,
                                 e => e.textContent);
  await shot(page, 'new-pid');
  say(`killed ${victim} (web:${wid}): the page showed the new pid ${fresh} (${state}) after ${elapsed} ms, no reload`);
  // then RUNNING once ready (1 s: ready_delay), which cirqued sends no event for
  const start2 = Date.now();
  await page.waitForFunction(wid => document.querySelector(
    `section.watcher[data-watcher="web"] tbody tr[data-wid="${wid}"] td.state`).textContent === 'RUNNING',
  { polling: 'mutation', timeout: 10000 }, wid).catch(() => fail(`web:${wid} never shown RUNNING`));
  say(`web:${wid} shown RUNNING ${Date.now() - start2} ms later`);
  const now = childrenMatching(WEB_MARK);
  await checkListed(page, 'web', now);
  return now;
}

// (4) Stop without the token: refused, the processes still run.
async function stopWithoutToken(page, pids) {
  await page.evaluate(() => { sessionStorage.clear(); document.getElementById('token').value = ''; });
  const refreshed = page.waitForResponse(r => r.url().endsWith('/api/metrics'), { timeout: 10000 });
  const text = await clickAction(page, 'web', 'stop');
  if (!/^refused: .*token/.test(text)) fail(`stop without a token: the notice says '${text}'`);
  await refreshed;  // the page asked again after the action: what it shows is current
  const gone = pids.filter(pid => !alive(pid));
  if (gone.length) fail(`stop without a token was refused but ${gone.join(' ')} are gone from /proc`);
  if (!same(childrenMatching(WEB_MARK), pids)) fail(`web's processes changed: ${childrenMatching(WEB_MARK)}`);
  await page.waitForFunction(() => document.querySelector('section.watcher[data-watcher="web"] .status')
    .textContent === 'active', { timeout: 5000 }).catch(() => fail('web is not shown active'));
  await checkListed(page, 'web', pids);
  await shot(page, 'refused-without-token');
  say(`stop without the token: '${text}'; ${pids.join(' ')} still run`);
}

// (5) Stop with the token: the watcher stops (its processes leave /proc; cirquectl says STOPPED).
async function stopWithToken(page, pids) {
  await page.type('#token', TOKEN);
  const start = Date.now();
  const text = await clickAction(page, 'web', 'stop');
  if (!/^done: stop web/.test(text)) fail(`stop with the token: the notice says '${text}'`);
  await waitUntil(`web's processes ${pids.join(' ')} gone from /proc`, 10, () =>
    pids.every(pid => !alive(pid)) && childrenMatching(WEB_MARK).length === 0);
  const elapsed = Date.now() - start;
  await waitUntil('cirquectl status web says STOPPED', 10, () => /STOPPED/.test(ctlStatus('web')));
  await page.waitForFunction(() => {
    const s = document.querySelector('section.watcher[data-watcher="web"]');
    // each slot shown STOPPED, without a pid (as cirquectl status shows them)
    const rows = [...s.querySelectorAll('tbody tr[data-wid]')];
    return s.querySelector('.status').textContent === 'stopped' && rows.length === 3 &&
      rows.every(r => r.querySelector('td.state').textContent === 'STOPPED' && !r.dataset.pid);
  }, { timeout: 5000 }).catch(async () => fail(`the page does not show web stopped: ` +
    `${await watcherStatus(page, 'web')}, ${JSON.stringify(await rows(page, 'web'))}`));
  if (!same(childrenMatching(OTHER_MARK), OTHER_PIDS)) fail('other was touched');
  await checkListed(page, 'other', OTHER_PIDS);
  await shot(page, 'stopped-with-token');
  say(`stop with the token: '${text}'; ${pids.join(' ')} gone from /proc after ${elapsed} ms, web STOPPED`);
}

// A page of another origin (another port) that tries to start web with the right token.
function otherOrigin() {
  const page = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>another site</title>
<style>body { font: 14px system-ui, sans-serif; margin: 1em; } pre { background: #eee; padding: .5em; }</style>
</head><body><h1>another site</h1>
<form id="steal" method="post" action="${BASE}/action">
<input name="action" value="start"><input name="name" value="web">
<input name="token" value="${TOKEN}"><button>start web</button></form>
<pre id="out">fetching...</pre>
<script>
window.results = (async () => {
  const out = {};
  try {  // Authorization is no simple header: the browser asks cirque-web first (preflight)
    const r = await fetch('${BASE}/action', { method: 'POST',
      body: new URLSearchParams({ action: 'start', name: 'web' }),
      headers: { Authorization: 'Bearer ${TOKEN}' } });
    out.bearer = 'sent, status ' + r.status;
  } catch (e) { out.bearer = 'blocked: ' + e.message; }
  try {  // a simple request: sent as is (its answer is opaque to this page)
    const r = await fetch('${BASE}/action', { method: 'POST', mode: 'no-cors',
      body: new URLSearchParams({ action: 'start', name: 'web', token: '${TOKEN}' }) });
    out.simple = 'sent, ' + r.type;
  } catch (e) { out.simple = 'blocked: ' + e.message; }
  document.getElementById('out').textContent = JSON.stringify(out, null, 1);
  return out;
})();
</script></body></html>`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// (6) Another origin's requests carrying the right token are refused: web stays stopped.
async function fromAnotherOrigin(browser) {
  const server = await otherOrigin();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const before = logCount(CROSS_SITE);
  const page = await browser.newPage();
  const cdp = await page.createCDPSession();
  const preflights = [];
  await cdp.send('Network.enable');
  cdp.on('Network.responseReceived', e => {
    if (e.type === 'Preflight') preflights.push(e.response.status);
  });
  try {
    await page.goto(origin + '/', { waitUntil: 'load' });
    const out = await page.evaluate(() => window.results);
    if (!/^blocked/.test(out.bearer)) fail(`another origin's fetch with the Bearer token: ${out.bearer}`);
    if (!/^sent/.test(out.simple)) fail(`another origin's simple fetch was not even sent: ${out.simple}`);
    // cirque-web answered the preflight without allowing anything (no CORS headers)
    await waitUntil('the preflight answered', 5, () => preflights.length > 0);
    if (preflights.some(status => status >= 200 && status < 300))
      fail(`cirque-web allowed a preflight: ${preflights}`);
    await waitUntil("cirque-web's log: the simple fetch refused as from another site", 5, () =>
      logCount(CROSS_SITE) >= before + 1);
    await shot(page, 'other-origin-fetches');
    const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#steal button')]);
    const body = await response.text();
    if (response.status() !== 403 || !/cross-site request refused/.test(body))
      fail(`another origin's form POST with the token: status ${response.status()}: ${body}`);
    if (logCount(CROSS_SITE) < before + 2) fail("cirque-web's log does not say it refused the form POST");
    await shot(page, 'other-origin-form-refused');
    if (childrenMatching(WEB_MARK).length) fail(`web runs again: ${childrenMatching(WEB_MARK)}`);
    if (!/STOPPED/.test(ctlStatus('web'))) fail(`web is not STOPPED: ${ctlStatus('web')}`);
    say(`from ${origin}: fetch with Bearer ${out.bearer} (preflight ${preflights.join(' ')}), ` +
        `simple fetch and form POST (${response.status()}) refused; web still stopped`);
  } finally {
    await page.close();
    server.close();
  }
}

async function main() {
  fs.mkdirSync(PROFILE, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium', headless: true, userDataDir: PROFILE,
    args: ['--no-sandbox', '--no-first-run', '--disable-gpu', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1100, height: 700 },
  });
  say(`${await browser.version()} started`);
  try {
    await withoutJavaScript(browser);
    const page = await browser.newPage();
    page.setDefaultTimeout(10000);
    const errors = [], navigations = { count: 0 };
    page.on('pageerror', e => errors.push(e.message));
    page.on('framenavigated', frame => { if (frame === page.mainFrame()) navigations.count++; });
    await livePage(page);
    const pids = await killedFromOutside(page, navigations);
    await stopWithoutToken(page, pids);
    await stopWithToken(page, pids);
    await fromAnotherOrigin(browser);
    if (await page.evaluate(() => window.cirqueMarker) !== 'not reloaded') fail('the page was reloaded');
    if (errors.length) fail(`JavaScript errors on the page: ${errors.join('; ')}`);
  } finally {
    await browser.close();
  }
}

main().then(() => say('all steps passed'), e => {
  console.error(e instanceof Failure ? `FAIL: ${e.message}` : e);
  process.exit(1);
});
