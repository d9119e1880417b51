// The run page's client: draws the step graph (Mermaid, served by the bot) and keeps the page live
// from the run's event stream (Server-Sent Events). The browser's EventSource reconnects by itself
// and sends Last-Event-ID, so the server resumes right after the last event this page applied.
// Every value is written with textContent: output is text, never markup.
'use strict';

(function () {
  const body = document.body;
  const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];

  function plainText(line) {
    // eslint-disable-next-line no-control-regex
    return line.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '\ufffd');
  }

  function newlines(text) {
    let n = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    return n;
  }

  // A live step keeps about its last data-max-lines lines on the page (the rest stays one click
  // away as text), so a long log cannot make the page slower and slower.
  function trimOutput(pre) {
    const max = Number(pre.dataset.maxLines || 0);
    if (!max) return;
    let shown = Number(pre.dataset.shown || 0);
    if (shown <= max * 1.5) return;
    while (shown > max && pre.firstChild) {
      shown -= newlines(pre.firstChild.textContent || '');
      pre.removeChild(pre.firstChild);
    }
    pre.dataset.shown = String(shown);
    let note = pre.parentNode.querySelector('.more-output');
    if (!note) {
      note = document.createElement('p');
      note.className = 'note more-output';
      pre.parentNode.insertBefore(note, pre);
    }
    note.textContent = 'Showing the last lines of ' + pre.dataset.lines + '. ';
    const a = document.createElement('a');
    a.href = pre.dataset.full;
    a.textContent = 'The full output as text';
    note.appendChild(a);
  }

  function timeText(ms) {
    return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function setTime(el, ms) {
    if (!el) return;
    const t = document.createElement('time');
    t.dateTime = new Date(ms).toISOString();
    t.textContent = timeText(ms);
    el.replaceChildren(t);
  }

  function duration(ms) {
    if (ms < 1000) return ms + 'ms';
    const s = Math.round(ms / 1000);
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm' + (s % 60 ? (s % 60) + 's' : '');
    return Math.floor(m / 60) + 'h' + (m % 60 ? (m % 60) + 'm' : '');
  }

  function drawGraph() {
    if (typeof mermaid === 'undefined' || !document.querySelector('pre.mermaid')) return Promise.resolve();
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', flowchart: { htmlLabels: false } });
    return mermaid.run({ querySelector: 'pre.mermaid' }).catch(function (err) {
      console.warn('graph not drawn', err);
    });
  }

  function setStateLabel(el, state) {
    if (!el) return;
    el.textContent = state;
    el.className = 'state st-' + state;
  }

  function setNodeState(node, state) {
    const g = document.querySelector('#graph svg [id*="flowchart-' + node + '-"]');
    if (!g) return;
    for (const c of Array.from(g.classList)) if (c.indexOf('st_') === 0) g.classList.remove(c);
    g.classList.add('st_' + state);
  }

  function step(id) {
    return document.getElementById('step-' + id);
  }

  function setStepState(el, state) {
    el.dataset.state = state;
    setStateLabel(el.querySelector('h2 .state'), state);
    setNodeState(el.dataset.node, state);
  }

  function setRunState(state) {
    document.getElementById('run').dataset.state = state;
    setStateLabel(document.getElementById('run-state'), state);
    document.title = document.title.replace(/^[a-z_]+ ·/, state + ' ·');
  }

  function appendItem(list, text) {
    if (!list) return;
    const li = document.createElement('li');
    li.textContent = text;
    list.appendChild(li);
  }

  function setOutputs(dl, outputs) {
    if (!dl) return;
    const entries = Object.entries(outputs || {});
    if (entries.length === 0) return;
    dl.replaceChildren();
    for (const [k, v] of entries) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.append(dt, dd);
    }
    dl.hidden = false;
  }

  function showApproval(el, a) {
    const box = el.querySelector('.approval');
    if (!box || !a) return;
    const p = document.createElement('p');
    const strong = document.createElement('strong');
    strong.textContent = 'Approval:';
    const roles = a.roles && a.roles.length > 0 ? a.roles.join(', ') : 'anyone but the requester';
    p.append(strong, ' ' + a.message + ' — needs ' + a.minApprovers + ' from ' + roles + (a.expiresAt ? ', expires ' + timeText(a.expiresAt) : ''));
    const outcome = document.createElement('span');
    outcome.className = 'outcome';
    p.append(outcome);
    const ul = document.createElement('ul');
    ul.className = 'decisions';
    box.replaceChildren(p, ul);
    for (const d of a.decisions || []) appendDecision(box, d);
    box.hidden = false;
  }

  function appendDecision(box, d) {
    appendItem(box.querySelector('.decisions'), timeText(d.at) + ' ' + d.user + ': ' + d.decision + (d.counted ? '' : ' (not counted: ' + (d.reason || 'not allowed') + ')'));
  }

  function apply(e) {
    const el = e.step !== undefined ? step(e.step) : null;
    switch (e.type) {
      case 'run.queued':
        setRunState('queued');
        break;
      case 'run.started':
        setRunState('running');
        setTime(document.getElementById('run-started'), e.ts);
        break;
      case 'step.started':
        if (!el) break;
        setStepState(el, 'running');
        el.querySelector('.attempt').textContent = String(e.attempt);
        setTime(el.querySelector('.started'), e.ts);
        break;
      case 'step.output': {
        const pre = el && el.querySelector('pre.output');
        if (!pre) break;
        const text = e.lines.map(function (l) { return plainText(l) + '\n'; }).join('');
        if (e.stream === 'stderr') {
          const span = document.createElement('span');
          span.className = 'stderr';
          span.textContent = text;
          pre.appendChild(span);
        } else {
          pre.appendChild(document.createTextNode(text));
        }
        pre.dataset.lines = String(Number(pre.dataset.lines || 0) + e.lines.length);
        pre.dataset.shown = String(Number(pre.dataset.shown || 0) + e.lines.length);
        trimOutput(pre);
        break;
      }
      case 'step.retrying':
        if (!el) break;
        appendItem(el.querySelector('.retries'), 'Retried at ' + timeText(e.ts) + ' as attempt ' + e.attempt + ' after ' + duration(e.delayMs) + ': ' + e.error);
        break;
      case 'step.finished': {
        if (!el) break;
        setStepState(el, e.state);
        setTime(el.querySelector('.ended'), e.ts);
        el.querySelector('.took').textContent = ' · took ' + duration(e.durationMs);
        if (e.exitCode !== undefined) el.querySelector('.exit').textContent = ' · exit code ' + e.exitCode;
        const err = el.querySelector('.error');
        if (e.error) {
          err.textContent = e.error;
          err.hidden = false;
        }
        setOutputs(el.querySelector('.outputs'), e.outputs);
        break;
      }
      case 'approval.requested':
        if (!el) break;
        setStepState(el, 'waiting');
        setRunState('waiting');
        showApproval(el, e.approval);
        break;
      case 'approval.decided': {
        const box = el && el.querySelector('.approval');
        if (!box) break;
        appendDecision(box, e.decision);
        if (e.outcome) box.querySelector('.outcome').textContent = ' — ' + e.outcome;
        break;
      }
      case 'notify':
        if (el) appendItem(el.querySelector('.notes'), 'Notified: ' + e.text);
        break;
      case 'run.finished':
        setRunState(e.state);
        break;
      default:
        break;
    }
  }

  // The final page from the server: child run links, records as stored, the transcript.
  function reloadFinal() {
    return fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.text();
      })
      .then(function (text) {
        const doc = new DOMParser().parseFromString(text, 'text/html');
        const fresh = doc.getElementById('run');
        if (!fresh) return;
        document.getElementById('run').replaceWith(document.importNode(fresh, true));
        document.title = doc.title;
        body.dataset.final = 'true';
        return drawGraph();
      })
      .catch(function (err) {
        console.warn('final page not loaded', err);
      });
  }

  function follow() {
    const live = document.getElementById('live');
    const url = body.dataset.events + '&after=' + encodeURIComponent(body.dataset.after || '0');
    const source = new EventSource(url);
    if (live) live.hidden = false;
    source.onmessage = function (m) {
      const e = JSON.parse(m.data);
      apply(e);
      if (e.type === 'run.finished') {
        source.close();
        if (live) live.hidden = true;
        reloadFinal();
      }
    };
    source.addEventListener('end', function () {
      source.close();
      if (live) live.hidden = true;
      reloadFinal();
    });
    source.onerror = function () {
      // EventSource retries by itself; it gives up (CLOSED) only when the server refuses.
      if (source.readyState === EventSource.CLOSED && live) live.textContent = 'not live (reload the page)';
    };
  }

  drawGraph().then(function () {
    if (body.dataset.final !== 'true' && FINAL.indexOf(document.getElementById('run').dataset.state) < 0) follow();
  });
})();
