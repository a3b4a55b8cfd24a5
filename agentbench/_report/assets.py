"""The HTML report's inline CSS and JavaScript (no network, no libraries).

The script reads the episode list from an embedded JSON array and renders one page of rows at a
time, so the page stays usable at tens of thousands of episodes. An episode's transcript is a
JSON blob of its own, parsed only when the episode is opened. Every value reaches the page
through `textContent` or an attribute setter, never as HTML.
"""

from __future__ import annotations

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#1d1d1f}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #d0d0d7;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.pass td.status{background:#dff5e1}tr.fail td.status{background:#fbe3e3}
tr.error td.status,tr.limit td.status{background:#fdecc8}
tr.infra_error td.status,tr.cancelled td.status,tr.provider_error td.status{background:#e6e6ea}
td.text{max-width:40em;white-space:pre-wrap;word-break:break-word}
pre{background:#f6f6f8;padding:.6em;overflow:auto;white-space:pre-wrap;word-break:break-word;
 max-height:30em;margin:.3em 0}
.charts{display:flex;flex-wrap:wrap;gap:2em}.charts figure{margin:0}
figcaption{font-weight:600;margin-bottom:.3em}
svg text{font:11px system-ui,sans-serif;fill:#444}
#filters{display:flex;flex-wrap:wrap;gap:.6em;align-items:center;margin:.4em 0}
#filters input,#filters select{padding:.25em}#q{width:18em}
#episodes tbody tr{cursor:pointer}#episodes tbody tr:hover td{background:#eef3ff}
#pager{margin:.4em 0}#pager button{margin:0 .4em}
#detail{position:fixed;top:0;right:0;bottom:0;width:min(58em,62vw);background:#fff;
 border-left:2px solid #99a;box-shadow:-4px 0 16px #0002;overflow:auto;padding:1em 1.4em}
#detail[hidden]{display:none}#close{float:right}
.ev{border-left:4px solid #ccd;margin:.7em 0;padding:.2em .8em}
.ev .head{font-weight:600;color:#333}.ev .t{color:#888;font-weight:400;margin-left:.5em}
.ev.user{border-color:#6a8fd8}.ev.assistant{border-color:#49a86a}.ev.tool{border-color:#b07ad8}
.ev.exec{border-color:#d8a24a}.ev.score{border-color:#333}.ev.error{border-color:#d04a4a}
.ev.error .head{color:#b02020}.ev.sandbox,.ev.other{border-color:#bbb}
.verdict-pass{color:#1c7a35}.verdict-fail{color:#b02020}
.film{display:flex;gap:.5em;overflow-x:auto;padding:.3em 0}
.film figure{margin:0;text-align:center;font-size:12px}
.film img{max-height:180px;border:1px solid #ccd}
.muted{color:#777}
.warn{background:#fdecc8;border:1px solid #d8a24a;padding:.4em .7em;font-weight:600}
"""

# The episode list and the transcript viewer. Rows: see `episodes.ROW_FIELDS`.
JS = r"""
(function () {
  'use strict';
  var F = JSON.parse(document.getElementById('row-fields').textContent);
  var ROWS = JSON.parse(document.getElementById('episode-rows').textContent);
  var C = {}; F.forEach(function (name, i) { C[name] = i; });
  var PAGE = 100, page = 0, shown = ROWS.map(function (_, i) { return i; });
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined && text !== null) { n.textContent = String(text); }
    return n;
  }
  function fill(select, values) {
    values.forEach(function (v) {
      var o = el('option', '', v); o.value = v; select.appendChild(o);
    });
  }
  function distinct(col) {
    var seen = {};
    ROWS.forEach(function (r) { if (r[col] !== null && r[col] !== '') { seen[r[col]] = 1; } });
    return Object.keys(seen).sort();
  }
  fill($('f-status'), distinct(C.status));
  fill($('f-subset'), distinct(C.subset));
  fill($('f-failure'), distinct(C.failure));
  function apply() {
    var st = $('f-status').value, sub = $('f-subset').value, pa = $('f-passed').value;
    var fa = $('f-failure').value, q = $('q').value.toLowerCase();
    shown = [];
    for (var i = 0; i < ROWS.length; i++) {
      var r = ROWS[i];
      if (st && r[C.status] !== st) { continue; }
      if (sub && r[C.subset] !== sub) { continue; }
      if (pa && String(r[C.passed]) !== pa) { continue; }
      if (fa && r[C.failure] !== fa) { continue; }
      if (q && r[C.search].indexOf(q) < 0) { continue; }
      shown.push(i);
    }
    page = 0; render();
  }
  function render() {
    var body = $('episode-body'), pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    body.textContent = '';
    var frag = document.createDocumentFragment();
    shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (i) {
      var r = ROWS[i], tr = el('tr', r[C.cls]);
      tr.dataset.index = i;
      ['sample', 'epoch', 'subset', 'label', 'score', 'failure', 'text', 'steps', 'tokens',
       'seconds'].forEach(function (name) {
        var cls = {label: 'status', text: 'text', epoch: 'num', score: 'num', steps: 'num',
                   tokens: 'num', seconds: 'num'}[name] || '';
        tr.appendChild(el('td', cls, r[C[name]]));
      });
      frag.appendChild(tr);
    });
    body.appendChild(frag);
    $('count').textContent = shown.length.toLocaleString() + ' of ' +
      ROWS.length.toLocaleString() + ' episodes';
    $('page-info').textContent = 'page ' + (page + 1) + ' of ' + pages;
    $('prev').disabled = page === 0; $('next').disabled = page >= pages - 1;
  }
  ['f-status', 'f-subset', 'f-passed', 'f-failure'].forEach(function (id) {
    $(id).addEventListener('change', apply);
  });
  $('q').addEventListener('input', apply);
  $('prev').addEventListener('click', function () { page--; render(); });
  $('next').addEventListener('click', function () { page++; render(); });
  $('episode-body').addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr) { open(Number(tr.dataset.index)); }
  });
  $('close').addEventListener('click', function () { $('detail').hidden = true; });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { $('detail').hidden = true; }
  });
  function pre(text) { return el('pre', '', text); }
  function block(cls, head, t) {
    var d = el('div', 'ev ' + cls), h = el('div', 'head', head);
    if (t !== undefined && t !== null) {
      h.appendChild(el('span', 't', Number(t).toFixed(2) + ' s'));
    }
    d.appendChild(h); return d;
  }
  function message(role, text, t) {
    var d = block(role === 'assistant' ? 'assistant' : role === 'tool' ? 'tool' : 'user', role, t);
    if (text) { d.appendChild(pre(text)); }
    return d;
  }
  var RENDER = {
    model: function (e, out) {
      (e.input || []).forEach(function (item) {
        var last = item.last || {};
        if (last.role && last.role !== 'assistant') {
          out.appendChild(message(last.role, last.text, e.t));
        }
      });
      var o = e.output || {}, d = message('assistant', o.text, e.t);
      (o.tool_calls || []).forEach(function (c) {
        d.appendChild(el('div', 'muted', 'tool call: ' + c.name));
        d.appendChild(pre(typeof c.arguments === 'string' ? c.arguments :
          JSON.stringify(c.arguments, null, 1)));
      });
      var u = e.usage || {};
      if (u.input_tokens || u.output_tokens) {
        d.appendChild(el('div', 'muted', (e.model || '') + (e.role ? ' (' + e.role + ')' : '') +
          ': ' + (u.input_tokens || 0) + ' in, ' + (u.output_tokens || 0) + ' out tokens' +
          (e.cached ? ', cached' : '')));
      }
      out.appendChild(d);
    },
    exec: function (e, out) {
      var cmd = Array.isArray(e.cmd) ? e.cmd.join(' ') : String(e.cmd);
      var d = block('exec', 'command: exit ' + e.exit_code +
        (e.timed_out ? ' (timed out)' : ''), e.t);
      d.appendChild(pre('$ ' + cmd));
      ['stdout', 'stderr'].forEach(function (s) {
        if (e[s]) { d.appendChild(el('div', 'muted', s)); d.appendChild(pre(e[s])); }
      });
      out.appendChild(d);
    },
    score: function (e, out) {
      var ok = e.passed === true || (e.passed == null && e.value >= 1);
      var d = block('score', 'checker verdict: ', e.t);
      var v = el('span', ok ? 'verdict-pass' : 'verdict-fail',
        (ok ? 'passed' : 'failed') + ' (score ' + e.value + ')');
      d.firstChild.insertBefore(v, d.firstChild.childNodes[1] || null);
      if (e.explanation) { d.appendChild(pre(e.explanation)); }
      out.appendChild(d);
    },
    error: function (e, out) {
      var d = block('error', 'error in ' + (e.stage || '?') + ': ' + (e.error || ''), e.t);
      if (e.traceback) { d.appendChild(pre(e.traceback)); }
      out.appendChild(d);
    },
    artifact: function (e, out) {
      var size = e.bytes !== undefined ? ' (' + e.bytes + ' bytes)' : '';
      out.appendChild(block('sandbox', 'artifact saved: ' + e.name + size, e.t));
    },
    sandbox: function (e, out) {
      var d = block('sandbox', 'sandbox: ' + (e.description || ''), e.t);
      if (e.files && e.files.length) {
        d.appendChild(el('div', 'muted', 'files: ' + e.files.join(', ')));
      }
      out.appendChild(d);
    }
  };
  function other(e, out) {
    var rest = {};
    Object.keys(e).forEach(function (k) { if (k !== 'type' && k !== 't') { rest[k] = e[k]; } });
    var d = block('other', String(e.type), e.t);
    d.appendChild(pre(JSON.stringify(rest, null, 1)));
    out.appendChild(d);
  }
  function open(i) {
    var r = ROWS[i], box = $('detail-body'), node = document.getElementById('t' + i);
    var data = node ? JSON.parse(node.textContent) : {events: [], result: {}};
    box.textContent = '';
    box.appendChild(el('h2', '', r[C.sample] + ' / epoch ' + r[C.epoch] + ': ' + r[C.label]));
    box.appendChild(el('div', 'muted', r[C.task] + ' · ' + r[C.model] +
      (r[C.subset] ? ' · subset ' + r[C.subset] : '')));
    var res = data.result || {};
    if (res.error) {
      var where = res.error_stage ? ' in ' + res.error_stage : '';
      box.appendChild(el('p', 'verdict-fail', 'error' + where + ': ' + res.error));
    }
    if (res.details) {
      box.appendChild(el('div', 'muted', 'checker details')); box.appendChild(pre(res.details));
    }
    if (data.shots && data.shots.length) {
      var film = el('div', 'film');
      data.shots.forEach(function (s) {
        var f = el('figure'), img = el('img');
        img.src = s.src; img.alt = s.name; f.appendChild(img);
        f.appendChild(el('figcaption', '', s.name)); film.appendChild(f);
      });
      box.appendChild(el('h3', '', 'Screenshots')); box.appendChild(film);
    }
    if (data.shots_left_out) { box.appendChild(el('div', 'muted', data.shots_left_out)); }
    box.appendChild(el('h3', '', 'Transcript'));
    var events = data.events || [];
    if (!events.length) { box.appendChild(el('p', 'muted', 'no transcript recorded')); }
    events.forEach(function (e) { (RENDER[e.type] || other)(e, box); });
    if (data.cut) { box.appendChild(el('p', 'muted', data.cut)); }
    $('detail').hidden = false; $('detail').scrollTop = 0;
  }
  window.agentbenchOpen = open;
  render();
})();
"""
