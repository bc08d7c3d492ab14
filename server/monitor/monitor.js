// rampart IP Security Monitor: reads /api/v1/{sas,sessions,stats,policy} of this rampartd or of the
// one named in the "Computer" field every 2 s and redraws the folders. The SA pair and session
// tables are paged by the server (offset/limit/sort/order/filter, srv_monitor_list.c): with 10,000
// clients only the page on screen is built and sent. Everything a peer chose (IDs, account
// names) goes into the page as text, never as markup.
'use strict';

const REFRESH_MS = 2000;
const HISTORY = 60; // points of the throughput graphs (two minutes)
const PAGE = 200;   // rows of a server-paged table
const PAGED = ['sa-pairs', 'ike-sas', 'sessions'];
const COLS = {};    // paged table id -> its columns (for the server field of the sort column)
const st = {
  base: '',             // '' = this computer, else "https://host:port"
  prev: null,           // {t, in, out} byte counters of the last refresh
  hist: [],             // server throughput [{in, out}] in bit/s
  pair: new Map(),      // spi_in -> {t, in, out, hist: [bit/s]}
  sort: {},             // table id -> {col, dir}
  filter: {},           // table id -> text
  offset: {},           // paged table id -> first row shown
  again: false,         // a sort, filter or page change came during a refresh: one more
  folder: 'all',
  busy: false,
  gen: 0,               // bumped when the computer changes: late answers of the old one are dropped
};

const $ = (id) => document.getElementById(id);

function api(path) {
  // Another monitor may want a client certificate: the browser presents one only with credentials
  // (that monitor then names this page's origin in its CORS answer, see srv_monitor.c).
  const opts = { cache: 'no-store', credentials: st.base ? 'include' : 'same-origin' };
  return fetch(st.base + path, opts).then((r) => {
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  });
}

// ---- formatting ----------------------------------------------------------------------------------
function bytes(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
}
function bits(n) {
  const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return n.toFixed(i ? 1 : 0) + ' ' + u[i];
}
function dur(s) {
  if (s == null) return '';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
  return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + x + 's';
}
function ep(a) { return a ? (a.address.includes(':') ? '[' + a.address + ']' : a.address) + ':' + a.port : ''; }

// ---- tables: sortable and filterable -----------------------------------------------------------
// The query of a paged table: its sort column's server field (c.sk), order, filter and page.
function query(id, cols) {
  const s = st.sort[id], p = new URLSearchParams({ offset: st.offset[id] || 0, limit: PAGE });
  const c = s && cols[s.col];
  if (c && c.sk) { p.set('sort', c.sk); p.set('order', s.dir > 0 ? 'asc' : 'desc'); }
  if (st.filter[id]) p.set('filter', st.filter[id]);
  return '?' + p.toString();
}

// "1–200 of 10000", previous/next: below a paged table (doc: the server's answer for it)
function pager(id, doc) {
  let d = $(id + '-pager');
  if (!d) {
    d = document.createElement('div');
    d.id = id + '-pager';
    d.className = 'pager';
    $(id).after(d);
  }
  const off = doc.offset, n = doc.matched, shown = (doc.sas || doc.sessions).length;
  const b = (label, to, ok) => {
    const e = document.createElement('button');
    e.textContent = label;
    e.disabled = !ok;
    e.addEventListener('click', () => { st.offset[id] = Math.max(0, to); refresh(true); });
    return e;
  };
  const span = document.createElement('span');
  span.textContent = n ? (off + 1) + '–' + (off + shown) + ' of ' + n : '0 of 0';
  d.replaceChildren(b('« first', 0, off > 0), b('‹ previous', off - doc.limit, off > 0), span,
    b('next ›', off + doc.limit, off + shown < n), b('last »', Math.floor((n - 1) / doc.limit) * doc.limit, off + shown < n));
}

// cols: [{k: key, h: header, num: bool, f: (row) => text, spark: (row) => [values], sk: server field}]
// A paged table (PAGED) is sorted and filtered by the server; a column without sk sorts the page.
function table(id, cols, rows, keyOf, doc) {
  const paged = PAGED.includes(id);
  if (paged) COLS[id] = cols;
  const t = $(id);
  const sortable = t.classList.contains('sortable');
  const s = st.sort[id];
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  cols.forEach((c, i) => {
    const th = document.createElement('th');
    th.textContent = c.h;
    if (s && s.col === i) th.className = s.dir > 0 ? 'asc' : 'desc';
    if (sortable && !c.spark) th.addEventListener('click', () => {
      const cur = st.sort[id];
      st.sort[id] = { col: i, dir: cur && cur.col === i ? -cur.dir : 1 };
      if (paged) { st.offset[id] = 0; refresh(true); } else redraw();
    });
    tr.appendChild(th);
  });
  thead.appendChild(tr);
  const val = (c, r) => (c.f ? c.f(r) : r[c.k]);
  let list = rows.slice();
  const q = (st.filter[id] || '').toLowerCase();
  if (q && !paged) list = list.filter((r) => cols.some((c) => !c.spark && String(val(c, r) ?? '').toLowerCase().includes(q)));
  if (s && !(paged && cols[s.col].sk)) {
    const c = cols[s.col];
    const key = c.sortv || ((r) => val(c, r));
    list.sort((a, b) => {
      const x = key(a), y = key(b);
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * s.dir;
      return String(x ?? '').localeCompare(String(y ?? ''), undefined, { numeric: true }) * s.dir;
    });
  }
  const tbody = document.createElement('tbody');
  for (const r of list) {
    const row = document.createElement('tr');
    if (keyOf) row.dataset.key = keyOf(r);
    for (const c of cols) {
      const td = document.createElement('td');
      if (c.spark) {
        td.appendChild(spark(c.spark(r)));
      } else {
        const v = val(c, r);
        td.textContent = v == null ? '' : String(v);
        if (c.num) td.className = 'num';
        if (c.cls) td.className += ' ' + c.cls(r);
      }
      row.appendChild(td);
    }
    tbody.appendChild(row);
  }
  if (!list.length) {
    const row = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = cols.length;
    td.className = 'empty';
    td.textContent = q && (paged || rows.length) ? 'nothing matches the filter' : 'none';
    row.appendChild(td);
    tbody.appendChild(row);
  }
  t.replaceChildren(thead, tbody);
  if (doc) pager(id, doc);
}

function kv(id, pairs) {
  const dl = $(id);
  dl.replaceChildren();
  for (const [k, v] of pairs) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = Array.isArray(v) ? v.join(' ') : v == null ? '' : String(v);
    dl.append(dt, dd);
  }
}

// ---- graphs ------------------------------------------------------------------------------------
function spark(values) {
  const c = document.createElement('canvas');
  c.width = 80; c.height = 18; c.className = 'spark';
  const g = c.getContext('2d');
  const max = Math.max(1, ...values);
  g.strokeStyle = '#1f5fa8';
  g.beginPath();
  values.forEach((v, i) => {
    const x = (i / (HISTORY - 1)) * (c.width - 1), y = c.height - 1 - (v / max) * (c.height - 2);
    i ? g.lineTo(x, y) : g.moveTo(x, y);
  });
  g.stroke();
  return c;
}

function drawGraph() {
  const c = $('graph'), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const max = Math.max(1, ...st.hist.map((p) => Math.max(p.in, p.out)));
  g.strokeStyle = '#e3e7eb';
  for (let i = 1; i < 4; i++) { g.beginPath(); g.moveTo(0, (c.height * i) / 4); g.lineTo(c.width, (c.height * i) / 4); g.stroke(); }
  for (const [k, color] of [['in', '#1f8a4c'], ['out', '#1f5fa8']]) {
    g.strokeStyle = color; g.lineWidth = 1.5; g.beginPath();
    st.hist.forEach((p, i) => {
      const x = (i / (HISTORY - 1)) * c.width, y = c.height - 2 - (p[k] / max) * (c.height - 4);
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.stroke();
  }
  g.fillStyle = '#5d6773'; g.font = '10px sans-serif';
  g.fillText('max ' + bits(max), 3, 10);
  const last = st.hist[st.hist.length - 1];
  $('rate').textContent = last ? 'in ' + bits(last.in) + ', out ' + bits(last.out) : '';
}

function rates(now, stats, sas, sessions) {
  const inB = stats.esp.in.bytes, outB = stats.esp.out.bytes;
  if (st.prev && now > st.prev.t) {
    const dt = (now - st.prev.t) / 1000;
    st.hist.push({ in: (Math.max(0, inB - st.prev.in) * 8) / dt, out: (Math.max(0, outB - st.prev.out) * 8) / dt });
    if (st.hist.length > HISTORY) st.hist.shift();
  }
  st.prev = { t: now, in: inB, out: outB };
  const seen = new Set();
  const pairs = sas.sas.map((p) => [p.esp.spi_in, p.esp.in.bytes + p.esp.out.bytes]);
  for (const s of sessions.sessions) if (s.transport) pairs.push([s.transport.spi_in, s.transport.bytes]);
  for (const [k, b] of pairs) {
    if (seen.has(k)) continue;
    const o = st.pair.get(k);
    seen.add(k);
    if (!o) { st.pair.set(k, { t: now, b, hist: [], rate: 0 }); continue; }
    o.rate = now > o.t ? (Math.max(0, b - o.b) * 8) / ((now - o.t) / 1000) : 0;
    o.hist.push(o.rate);
    if (o.hist.length > HISTORY) o.hist.shift();
    o.t = now; o.b = b;
  }
  for (const k of [...st.pair.keys()]) if (!seen.has(k)) st.pair.delete(k);
}

// ---- folders -----------------------------------------------------------------------------------
let last = null; // the documents of the last refresh, for redraws after a sort or filter

function drawPolicy(p) {
  const list = (v) => [].concat(v == null ? [] : v).join(' ');
  kv('policy-head', [['Name', p.name], ['Store', p.store + (p.path ? ' (' + p.path + ')' : '')],
    ['Last change', p.last_change], ['In force', p.in_force ? 'yes' : 'no (boot mode ' + p.bootmode + ')'],
    ['Boot mode / exemptions', p.bootmode + ' / ' + (p.bootexemptions || 'none')]]);
  $('policy-note').textContent = p.note || '';
  table('policy-rules', [
    { h: 'Rule', k: 'name' },
    { h: 'Store', k: 'store' },
    { h: 'Source', f: (r) => r.filter.source },
    { h: 'Destination', f: (r) => list(r.filter.destination) },
    { h: 'Protocol', f: (r) => r.filter.protocol + ' ' + r.filter.port },
    { h: 'Filter action', f: (r) => r.action + (r.quick_mode_methods ? ': ' + r.quick_mode_methods : '') },
    { h: 'Authentication methods', f: (r) => r.authentication.join(', ') },
    { h: 'Plain L2TP permitted', f: (r) => (r.plain_l2tp_permitted ? 'yes' : 'no') },
  ], p.rules);
  const m = p.main_mode, q = p.quick_mode;
  kv('policy-main', [['Authentication', m.authentication.join(', ')], ['DH groups', m.dh_groups],
    ['Security methods', list(m.methods)], ['Assigned policies\' methods', m.policy_methods || 'none'],
    ['Lifetime', dur(m.lifetime_s)], ['DPD delay / timeout', m.dpd_delay_s + ' s / ' + m.dpd_timeout_s + ' s'],
    ['Send certificate always', m.send_certificate_always ? 'yes' : 'no'],
    ['PPP authentication', p.ppp.auth], ['Login must match certificate', p.ppp.login_must_match_certificate ? 'yes' : 'no']]);
  kv('policy-quick', [['Lifetime', dur(q.lifetime_s)], ['PFS DH groups', q.pfs_dh_groups],
    ['Security methods', list(q.methods)],
    ['Anti-replay window', q.replay_window], ['NAT-T keepalive', q.natt_keepalive_s + ' s']]);
}

function drawMain(ikeDoc, stats) {
  // grouped by IKE SA within the page of SA pairs the server sent for this table
  const ike = new Map();
  for (const p of ikeDoc.sas) {
    const k = p.ike.initiator_cookie + p.ike.responder_cookie;
    if (!ike.has(k)) ike.set(k, { p, pairs: 0 });
    ike.get(k).pairs++;
  }
  const part = (r, i) => (r.p.ike.proposal || '').split('/')[i] || '';
  table('ike-sas', [
    { h: 'Peer', f: (r) => ep(r.p.peer), sk: 'peer' },
    { h: 'ID', f: (r) => r.p.peer_id, sk: 'peer_id' },
    { h: 'Authentication', f: (r) => r.p.ike.auth || '', sk: 'ike_auth' },
    { h: 'Cipher', f: (r) => part(r, 0), sk: 'proposal' },
    { h: 'Hash', f: (r) => part(r, 1), sk: 'proposal' },
    { h: 'DH group', f: (r) => part(r, 2), sk: 'proposal' },
    { h: 'Lifetime left', f: (r) => (r.p.ike.established ? dur(r.p.ike.lifetime_left_s) : 'deleted'),
      sortv: (r) => r.p.ike.lifetime_left_s ?? -1, sk: 'ike_lifetime_left' },
    { h: 'NAT', f: (r) => (r.p.nat ? 'client behind NAT' : r.p.server_behind_nat ? 'server behind NAT' : 'none'), sk: 'nat' },
    { h: 'IPsec SA pairs', num: true, f: (r) => r.pairs },
    { h: 'Cookies (I/R)', f: (r) => r.p.ike.initiator_cookie + ' / ' + r.p.ike.responder_cookie, sk: 'cookies' },
  ], [...ike.values()], (r) => r.p.ike.initiator_cookie, ikeDoc);
  const n = stats.ike.negotiations;
  const rows = Object.keys(n).map((k) => ({ k, v: n[k] }));
  rows.unshift({ k: 'IKE SAs now', v: stats.ike.ike_sas });
  const h = stats.ike.main_mode_ms;
  if (h) {
    const total = h.counts.reduce((a, b) => a + b, 0);
    rows.push({ k: 'Main Mode duration: average', v: total ? Math.round(h.sum / total) + ' ms' : '' });
    h.counts.forEach((n, i) => rows.push({
      k: 'Main Mode duration ' + (i < h.le.length ? '≤ ' + h.le[i] + ' ms' : '> ' + h.le[h.le.length - 1] + ' ms'), v: n }));
  }
  table('ike-stats', [{ h: 'Negotiations by result', k: 'k' }, { h: 'Count', k: 'v', num: true,
    cls: (r) => (r.v && /^(psk|no_|cert|timeout|aggr|limit|quick_mode_no)/.test(r.k) ? 'bad' : '') }], rows);
}

function drawQuick(sas, stats) {
  table('sa-pairs', [
    { h: 'Peer', f: (r) => ep(r.peer), sk: 'peer' },
    { h: 'SPI in', f: (r) => r.esp.spi_in, sk: 'spi_in' },
    { h: 'SPI out', f: (r) => r.esp.spi_out, sk: 'spi_out' },
    { h: 'Transform', f: (r) => r.esp.transform, sk: 'transform' },
    { h: 'Encapsulation', f: (r) => r.esp.encapsulation, sk: 'encapsulation' },
    { h: 'Bytes in', num: true, f: (r) => bytes(r.esp.in.bytes), sortv: (r) => r.esp.in.bytes, sk: 'bytes_in' },
    { h: 'Bytes out', num: true, f: (r) => bytes(r.esp.out.bytes), sortv: (r) => r.esp.out.bytes, sk: 'bytes_out' },
    { h: 'Packets in/out', num: true, f: (r) => r.esp.in.packets + ' / ' + r.esp.out.packets,
      sortv: (r) => r.esp.in.packets + r.esp.out.packets, sk: 'packets' },
    { h: 'Lifetime left', f: (r) => dur(r.esp.lifetime_left_s), sortv: (r) => r.esp.lifetime_left_s, sk: 'lifetime_left' },
    { h: 'Account', f: (r) => (r.session ? r.session.account : r.certificate_account || ''), sk: 'account' },
    { h: 'Tunnel address', f: (r) => (r.session ? r.session.tunnel_ip : ''), sk: 'tunnel_ip' },
    { h: 'L2TP IDs', f: (r) => (r.session ? r.session.l2tp.tunnel + '/' + r.session.l2tp.session : ''), sk: 'l2tp' },
    { h: 'Throughput', f: (r) => bits((st.pair.get(r.esp.spi_in) || {}).rate || 0),
      sortv: (r) => (st.pair.get(r.esp.spi_in) || {}).rate || 0 },
    { h: '', spark: (r) => (st.pair.get(r.esp.spi_in) || { hist: [] }).hist },
  ], sas.sas, (r) => r.esp.spi_in, sas);
  const rows = [];
  for (const d of ['in', 'out']) {
    const e = stats.esp[d];
    const drops = Object.entries(e.drops);
    rows.push({ k: d + ': packets', v: e.packets }, { k: d + ': bytes', v: e.bytes },
      { k: d + ': dropped (all reasons)', v: drops.reduce((a, [, v]) => a + v, 0) });
    // reasons that never happened stay out of the way; /api/v1/stats has them all
    for (const [r, v] of drops) if (v) rows.push({ k: d + ': dropped, ' + r, v });
  }
  rows.unshift({ k: 'IPsec SA pairs now', v: stats.ike.ipsec_sa_pairs });
  table('esp-stats', [{ h: 'ESP', k: 'k' }, { h: 'Count', k: 'v', num: true,
    cls: (r) => (r.v && r.k.includes('dropped') ? 'bad' : '') }], rows);
}

function drawSessions(sas, stats, sessions) {
  const rows = sessions.sessions.map((s) => ({ s, pair: s.transport }));
  table('sessions', [
    { h: 'Account', f: (r) => r.s.account, sk: 'account' },
    { h: 'Tunnel address', f: (r) => r.s.tunnel_ip, sk: 'tunnel_ip' },
    { h: 'Transport', f: (r) => (r.pair ? 'IPsec ' + ep(r.pair.peer) + (r.pair.nat ? ' (NAT)' : '') : 'plain L2TP'), sk: 'transport' },
    { h: 'L2TP tunnel/session', f: (r) => r.s.l2tp.tunnel + '/' + r.s.l2tp.session, sk: 'l2tp' },
    { h: 'Up since', f: (r) => r.s.up_since, sk: 'up_since' },
    { h: 'Connected', f: (r) => dur(r.s.age_s), sortv: (r) => r.s.age_s, sk: 'age' },
    { h: 'Throughput', f: (r) => (r.pair ? bits((st.pair.get(r.pair.spi_in) || {}).rate || 0) : ''),
      sortv: (r) => (r.pair ? (st.pair.get(r.pair.spi_in) || {}).rate || 0 : -1) },
    { h: '', spark: (r) => (r.pair ? (st.pair.get(r.pair.spi_in) || { hist: [] }).hist : []) },
  ], rows, (r) => r.s.account + '@' + r.s.tunnel_ip, sessions);
  const a = stats.ppp.authentications, l = stats.l2tp;
  const prow = [{ k: 'sessions up', v: stats.ppp.sessions_up }, { k: 'sessions started', v: stats.ppp.sessions_up_total },
    { k: 'sessions ended', v: stats.ppp.sessions_down_total }, { k: 'addresses leased', v: sas.addresses_leased }];
  for (const [k, v] of Object.entries(a)) prow.push({ k: 'PPP authentication: ' + k, v });
  prow.push({ k: 'L2TP tunnels', v: l.tunnels }, { k: 'L2TP retransmissions', v: l.retransmissions });
  table('ppp-stats', [{ h: 'Counter', k: 'k' }, { h: 'Value', k: 'v', num: true }], prow);
}

function redraw() {
  if (!last) return;
  const [sas, stats, policy, ikeDoc, sessions] = last;
  drawPolicy(policy);
  drawMain(ikeDoc, stats);
  drawQuick(sas, stats);
  drawSessions(sas, stats, sessions);
  drawGraph();
}

// a paged table's query: its columns are known once it was drawn (before that: unsorted)
const qs = (id) => (COLS[id] ? query(id, COLS[id]) : '?limit=' + PAGE);

// now: a sort, filter or page change (queued behind a refresh under way)
function refresh(now) {
  if (st.busy) { if (now) st.again = true; return; }
  st.busy = true;
  const gen = st.gen;
  Promise.all([api('/api/v1/sas' + qs('sa-pairs')), api('/api/v1/stats'), api('/api/v1/policy'),
    api('/api/v1/sas' + qs('ike-sas')), api('/api/v1/sessions' + qs('sessions'))])
    .then((docs) => {
      if (gen !== st.gen) return;
      rates(Date.now(), docs[1], docs[0], docs[4]);
      last = docs;
      redraw();
      const s = $('status');
      s.className = 'status';
      s.textContent = (st.base || 'this computer') + ' · ' + docs[0].ipsec_sa_pairs + ' SA pairs, ' +
        docs[0].ppp_sessions + ' sessions · ' + new Date().toLocaleTimeString();
    })
    .catch((e) => {
      if (gen !== st.gen) return;
      const s = $('status');
      s.className = 'status err';
      s.textContent = (st.base || 'this computer') + ': ' + e.message;
    })
    .finally(() => {
      st.busy = false;
      if (st.again) { st.again = false; refresh(); }
    });
}

function connect(base) {
  st.base = base.replace(/\/+$/, '');
  st.gen++;
  st.prev = null; st.hist = []; st.pair.clear(); last = null; st.offset = {};
  const h = new URLSearchParams(location.hash.slice(1));
  if (st.base) h.set('remote', st.base); else h.delete('remote');
  history.replaceState(null, '', '#' + h.toString());
  refresh();
}

function showFolder(f) {
  st.folder = f;
  for (const s of document.querySelectorAll('main section')) s.hidden = f !== 'all' && s.dataset.folder !== f;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('sel', a.dataset.folder === f);
}

document.querySelectorAll('nav a').forEach((a) => a.addEventListener('click', (e) => {
  e.preventDefault();
  showFolder(a.dataset.folder);
}));
let filterTimer = null;
document.querySelectorAll('input.filter').forEach((i) => i.addEventListener('input', () => {
  const id = i.dataset.table;
  st.filter[id] = i.value;
  if (!PAGED.includes(id)) { redraw(); return; }
  st.offset[id] = 0; // the server filters: ask once typing pauses
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => refresh(true), 250);
}));
$('remote-form').addEventListener('submit', (e) => {
  e.preventDefault();
  connect($('remote').value.trim());
});
const params = new URLSearchParams(location.hash.slice(1));
if (params.get('folder')) showFolder(params.get('folder'));
$('remote').value = params.get('remote') || '';
connect($('remote').value);
setInterval(refresh, REFRESH_MS);
