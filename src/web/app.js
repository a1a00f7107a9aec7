// cirque-web's dashboard, live: the server's page is replaced by the same view built from
// /api/metrics, fetched again on every event of cirqued (Server-Sent Events on /events) and
// every data-refresh seconds for CPU and memory. Actions carry the token in a header (it is
// kept in sessionStorage, never in a cookie: a browser sends no credential on its own).
'use strict';
(function () {
  const body = document.body;
  const refreshSeconds = Math.max(1, Number(body.dataset.refresh) || 5);
  const samples = new Map();      // "watcher:wid" -> {pid, cpu, t, history: [cpu %]}
  const HISTORY = 30;
  let pending = null, inflight = false, again = false, output = null, settling = null;
  let unreachable = false;

  document.documentElement.classList.add('js');

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.dataset[k.slice(5)] = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  function duration(s) {
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    const m = String(Math.floor(s % 3600 / 60)).padStart(2, '0'), sec = String(s % 60).padStart(2, '0');
    return (d ? d + 'd ' : '') + h + ':' + m + ':' + sec;
  }

  function bytes(n) {
    const units = 'BKMGT';
    let u = 0;
    while (n >= 1024 && u < 4) { n /= 1024; u++; }
    return (u === 0 || n >= 100 ? n.toFixed(0) : n.toFixed(1)) + units[u];
  }

  function spark(history) {
    const svgNS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(svgNS, 'svg');
    svg.setAttribute('width', '60');
    svg.setAttribute('height', '16');
    svg.setAttribute('viewBox', '0 0 60 16');
    const base = document.createElementNS(svgNS, 'line');
    base.setAttribute('class', 'base');
    for (const [k, v] of Object.entries({ x1: 0, y1: 15.5, x2: 60, y2: 15.5 })) base.setAttribute(k, v);
    svg.append(base);
    if (history.length > 1) {  // the newest sample at the right edge
      const max = Math.max(5, ...history), x0 = 60 - (history.length - 1) * 60 / (HISTORY - 1);
      const line = document.createElementNS(svgNS, 'polyline');
      line.setAttribute('points', history.map((v, i) =>
        (x0 + i * 60 / (HISTORY - 1)).toFixed(1) + ',' + (15 - 14 * v / max).toFixed(1)).join(' '));
      svg.append(line);
    }
    return svg;
  }

  // CPU % over the last interval, from two samples of the same pid.
  function cpuOf(key, p, now) {
    const prev = samples.get(key);
    let pct = null;
    if (p.cpu_seconds === undefined) { samples.delete(key); return null; }
    const s = { pid: p.pid, cpu: p.cpu_seconds, t: now, history: [] };
    if (prev && prev.pid === p.pid) {
      s.history = prev.history;
      if (now - prev.t >= 0.5) pct = 100 * (p.cpu_seconds - prev.cpu) / (now - prev.t);
      else { s.cpu = prev.cpu; s.t = prev.t; pct = prev.last; }
    }
    if (pct !== null && s.t === now) s.history = s.history.concat([pct]).slice(-HISTORY);
    s.last = pct;
    samples.set(key, s);
    if (pct === null && p.started && now - p.started > 0.5)  // as the server's page: since it started
      return 100 * p.cpu_seconds / (now - p.started);
    return pct;
  }

  // why a process is as it is, on hover: its spawn or start error, or its last exit
  function why(p) {
    if (p.error) return p.error;
    if (p.exit_code === undefined) return '';
    return 'last exit: ' + (p.exit_code < 0 ? 'signal ' + -p.exit_code : 'status ' + p.exit_code);
  }

  function actionButton(action, watcher, wid, label) {
    return el('button', { type: 'button', 'data-action': action, 'data-watcher': watcher,
                          'data-wid': String(wid), title: action + ' ' + watcher + ':' + wid }, label);
  }

  function processRow(w, p, single, now, actions) {
    const key = w.name + ':' + p.wid;
    const pct = p.retiring ? null : cpuOf(key, p, now);
    const row = el('tr', { 'data-watcher': w.name, 'data-wid': String(p.wid) });
    if (p.pid) row.dataset.pid = String(p.pid);
    const name = el('td', { class: 'proc' }, single ? w.name : key);
    if (p.retiring) name.append(' ', el('small', {}, '(retiring)'));
    const links = el('td', { class: 'links' },
      el('a', { class: 'output', href: '/output?name=' + encodeURIComponent(w.name) + '&wid=' + p.wid }, 'output'));
    if (actions && !p.retiring && p.state === 'STOPPED' && !p.pid) {
      links.append(' ', actionButton('start', w.name, p.wid, 'start'));  // a slot stopped
    } else if (actions && !p.retiring) {
      links.append(' ', actionButton('restart', w.name, p.wid, 'restart'), ' ',
                   actionButton('stop', w.name, p.wid, 'stop'));
    }
    const hist = samples.get(key);
    row.append(name,
      el('td', { class: 'pid' }, p.pid || ''),
      el('td', why(p) ? { class: 'state ' + p.state, title: why(p) } : { class: 'state ' + p.state }, p.state),
      el('td', { class: 'uptime' }, p.started ? duration(now - p.started) : ''),
      el('td', { class: 'cpu' }, pct === null ? '' : pct.toFixed(1) + '%'),
      el('td', { class: 'mem' }, p.rss_bytes === undefined ? '' : bytes(p.rss_bytes)),
      el('td', { class: 'restarts' }, p.restarts),
      el('td', { class: 'spark' }, hist ? spark(hist.history) : ''),
      links);
    return row;
  }

  function render(m) {
    const now = m.now || Date.now() / 1000;
    const main = document.getElementById('watchers');
    const old = new Map([...main.querySelectorAll('section.watcher')].map(s => [s.dataset.watcher, s]));
    const seen = new Set();
    const d = m.daemon;
    document.getElementById('daemon').textContent = 'cirqued ' + d.version + ', pid ' + d.pid +
      ', up ' + duration(now - d.started) + ', memory ' + bytes(d.rss_bytes);
    let previous = null;
    for (const w of m.watchers) {
      seen.add(w.name);
      let section = old.get(w.name);
      if (!section) {  // a watcher added since the page was made
        section = el('section', { class: 'watcher', 'data-watcher': w.name },
          el('h2', {}, w.name, ' ', el('span', { class: 'status' }), ' ', el('small', { class: 'count' }),
            ' ', el('span', { class: 'fatal', hidden: '' })),
          el('table', {}, el('thead', {}, el('tr', {}, ...['process', 'pid', 'state', 'uptime', 'cpu',
            'memory', 'restarts', '', ''].map(h => el('th', {}, h)))), el('tbody')));
        if (document.getElementById('auth')) section.querySelector('h2').after(actionForm(w.name));
        if (previous) previous.after(section); else main.prepend(section);
      }
      previous = section;
      const status = section.querySelector('.status');
      status.textContent = w.status;
      status.className = 'status ' + w.status;
      const running = w.processes.filter(p => p.state === 'RUNNING').length;
      section.querySelector('.count').textContent = running + ' of ' + w.numprocesses + ' running';
      // a watcher is "active" even when a process gave up: say it beside
      const fatal = w.processes.filter(p => p.state === 'FATAL').length;
      const badge = section.querySelector('.fatal');
      if (badge) { badge.textContent = fatal + ' fatal'; badge.hidden = fatal === 0; }
      const actions = !!document.getElementById('auth');
      section.querySelector('tbody').replaceChildren(...(w.processes.length
        ? w.processes.map(p => processRow(w, p, w.numprocesses === 1, now, actions))
        : [el('tr', { class: 'empty' }, el('td', { colspan: '9' }, 'no processes'))]));
    }
    for (const [name, section] of old) if (!seen.has(name)) section.remove();
  }

  function actionForm(name) {
    // the same as the server's, for a watcher that appeared later
    const form = el('form', { class: 'actions', method: 'post', action: '/action' },
      el('input', { type: 'hidden', name: 'name', value: name }));
    for (const a of ['start', 'stop', 'restart', 'incr', 'decr'])
      form.append(el('button', { name: 'action', value: a }, a));
    const sel = el('select', { name: 'signal', 'aria-label': 'signal' },
      ...['HUP', 'TERM', 'INT', 'QUIT', 'USR1', 'USR2', 'KILL'].map(s => el('option', {}, s)));
    form.append(sel, el('button', { name: 'action', value: 'signal' }, 'signal'));
    return form;
  }

  async function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    try {
      const r = await fetch('/api/metrics', { cache: 'no-store', headers: { Accept: 'application/json' } });
      const m = await r.json();
      if (!r.ok) throw new Error(m.reason || r.statusText);
      render(m);
      document.querySelector('.error')?.remove();
      if (unreachable) {  // cirqued is back: the figures are live again
        unreachable = false;
        document.getElementById('watchers').classList.remove('stale');
        notice('');
        setLive();
      }
      // cirqued sends no event when a process becomes ready (STARTING -> RUNNING): look again soon
      const moving = m.watchers.some(w => w.processes.some(p => p.state === 'STARTING' || p.state === 'STOPPING'));
      if (moving && !settling) settling = setTimeout(() => { settling = null; schedule(); }, 1000);
    } catch (e) {
      // cirqued (or cirque-web) unreachable: what the page shows is no longer true
      unreachable = true;
      document.getElementById('watchers').classList.add('stale');
      live.textContent = 'cirqued unreachable';
      live.className = 'live off';
      notice('cannot refresh: ' + e.message);
    } finally {
      inflight = false;
      if (again) { again = false; schedule(); }
    }
  }

  function schedule() {  // bursts of events (a stop of 100 processes): one refresh
    if (pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 150);
  }

  function notice(text) { document.getElementById('notice').textContent = text; }

  async function act(fields) {
    const token = document.getElementById('token')?.value || '';
    try {
      const r = await fetch('/action', {
        method: 'POST', body: new URLSearchParams(fields),
        headers: { Accept: 'application/json', Authorization: 'Bearer ' + token },
      });
      const reply = await r.json();
      notice((r.ok ? 'done: ' : 'refused: ') + reply.reason);
    } catch (e) {
      notice('failed: ' + e.message);
    }
    schedule();
  }

  document.addEventListener('submit', e => {
    const form = e.target;
    if (form.id === 'auth') { e.preventDefault(); return; }
    if (!form.classList.contains('actions')) return;
    e.preventDefault();
    const fields = new URLSearchParams(new FormData(form));
    fields.delete('token');
    if (e.submitter && e.submitter.name) fields.set(e.submitter.name, e.submitter.value);
    act(fields);
  });

  document.addEventListener('click', e => {
    const b = e.target.closest('button[data-action]');
    if (b) {
      act({ action: b.dataset.action, name: b.dataset.watcher, wid: b.dataset.wid });
      return;
    }
    const a = e.target.closest('a.output');
    if (a) { e.preventDefault(); showOutput(new URL(a.href)); }
  });

  async function loadOutput() {
    if (!output) return;
    const q = output.url.searchParams;
    const r = await fetch('/api/output?' + q.toString(), { cache: 'no-store' });
    const reply = await r.json();
    const pre = document.querySelector('#output pre');
    pre.textContent = r.ok ? (reply.lines || []).join('\n') : 'cannot read: ' + reply.reason;
    pre.parentElement.scrollTop = pre.parentElement.scrollHeight;
  }

  function showOutput(url) {
    if (output) clearInterval(output.timer);
    output = { url, timer: setInterval(loadOutput, 2000) };
    const q = url.searchParams;
    document.getElementById('output-title').textContent =
      q.get('name') + (q.get('wid') && q.get('wid') !== '0' ? ':' + q.get('wid') : '') + ' output';
    document.getElementById('output').hidden = false;
    loadOutput();
  }

  document.getElementById('output-close').addEventListener('click', () => {
    if (output) clearInterval(output.timer);
    output = null;
    document.getElementById('output').hidden = true;
  });

  const tokenInput = document.getElementById('token');
  if (tokenInput) {
    tokenInput.value = sessionStorage.getItem('cirque-token') || '';
    tokenInput.addEventListener('input', () => sessionStorage.setItem('cirque-token', tokenInput.value));
  }

  const live = document.getElementById('live');
  const events = new EventSource('/events');
  let streamOpen = false;
  function setLive() {
    if (unreachable) return;
    live.textContent = streamOpen ? 'live' : 'reconnecting';
    live.className = streamOpen ? 'live on' : 'live off';
  }
  events.addEventListener('open', () => { streamOpen = true; setLive(); schedule(); });
  events.addEventListener('error', () => { streamOpen = false; setLive(); });
  events.addEventListener('cirque', schedule);
  events.addEventListener('resync', schedule);
  setInterval(() => { if (!document.hidden) refresh(); }, refreshSeconds * 1000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) schedule(); });
  refresh();
})();
