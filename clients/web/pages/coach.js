// The coach's board: live sessions of the coach's clients from the
// gateway's event stream (WatchLive), discomfort first and flagged; the
// clients' weeks; one click follows a session cue by cue; a box sends a cue.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const rows = new Map();  // session id -> row (with .flagged)
  const board = { epoch: '', seq: 0, lastId: '' };
  window.coachdBoard = { rows, board };
  let followed = '';
  let followSource = null;

  let source = null;
  let hideTimer = null;
  function reconnecting(on) {
    clearTimeout(hideTimer);
    $('reconnecting').hidden = !on;
  }
  function connect() {
    source = new EventSource('events/coach' +
      (board.lastId ? '?last=' + encodeURIComponent(board.lastId) : ''));
    source.onopen = () => {
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => { $('reconnecting').hidden = true; }, 1500);
    };
    source.onerror = () => {
      reconnecting(true);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
    source.addEventListener('hello', (e) => {
      $('who').textContent = JSON.parse(e.data).who;
    });
    source.addEventListener('live', (e) => {
      board.lastId = e.lastEventId;
      onLive(JSON.parse(e.data));
    });
    source.addEventListener('clients', (e) => onClients(JSON.parse(e.data)));
    source.addEventListener('status', (e) => {
      const s = JSON.parse(e.data);
      if (s.state === 'down') reconnecting(true);
      if (s.state === 'nologin' || s.state === 'denied') {
        notice(s.state === 'nologin' ? 'Open a link from your app to use this board.' : s.detail);
        source.close();
      }
    });
  }

  function notice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }

  function onLive(u) {
    board.epoch = u.epoch;
    board.seq = u.seq;
    if (u.kind === 'snapshot') {
      const old = rows;
      const next = new Map();
      for (const r of u.board.sessions) {
        r.flagged = !!r.discomfort || (old.get(r.session) || {}).flagged;
        next.set(r.session, r);
      }
      rows.clear();
      for (const [k, v] of next) rows.set(k, v);
    } else if (u.kind === 'client_unlinked') {
      for (const [k, r] of rows) if (r.person === u.person) rows.delete(k);
    } else if (u.kind === 'ended') {
      rows.delete(u.session);
      if (u.summary) addSummary(u);
    } else if (u.row) {
      const r = u.row;
      r.flagged = u.flagged || u.kind === 'discomfort' || (rows.get(u.session) || {}).flagged || false;
      if (u.kind === 'discomfort') r.note = u.note;
      rows.set(u.session, r);
    }
    renderBoard();
  }

  function renderBoard() {
    const list = [...rows.values()].sort((a, b) =>
      (b.flagged - a.flagged) || (a.startedAt - b.startedAt));
    $('board-empty').hidden = list.length > 0;
    $('board').tBodies[0].replaceChildren(...list.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.session = r.session;
      tr.dataset.person = r.person;
      if (r.flagged) tr.className = 'flagged';
      const note = r.flagged && (r.note || (r.discomfort && r.discomfort.note));
      for (const v of ['', r.person, r.exercise + (note ? ` — hurts: ${note}` : r.flagged ? ' — hurts' : ''),
        r.sets ? `${r.set} of ${r.sets}` : '', r.progress + '%', r.run]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      tr.addEventListener('click', () => follow(r));
      return tr;
    }));
  }

  function onClients(m) {
    const pct = (x) => Math.round(x * 100) + '%';
    $('clients').tBodies[0].replaceChildren(...m.clients.map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.person = c.person;
      const p = c.progress;
      for (const v of [c.person, p ? `${p.done} of ${p.target}` : 'no goal',
        p ? `${pct(p.adherence4)} / ${pct(p.adherence12)}` : '', p ? p.streak + ' weeks' : '',
        p ? weeksChart(p.weeks) : '',
        c.discomfort ? `${c.discomfort.exercise}: ${c.discomfort.note || 'hurts'}` : '']) {
        const td = document.createElement('td');
        if (typeof v === 'string') td.textContent = v; else td.appendChild(v);
        tr.appendChild(td);
      }
      return tr;
    }));
  }

  // Twelve small bars, oldest first: sessions against the week's target,
  // paused (excused) weeks hatched, weeks before the goal empty.
  function weeksChart(weeks) {
    const list = weeks.slice(-12);
    while (list.length < 12) list.unshift({ done: 0, target: 0, outcome: 'none' });
    const top = Math.max(1, ...list.map((w) => Math.max(w.done, w.target)));
    const chart = document.createElement('div');
    chart.className = 'chart mini';
    for (const w of list) {
      const slot = document.createElement('div');
      slot.className = 'slot';
      slot.title = `${w.start || ''}: ${w.done} of ${w.target}`;
      const bar = document.createElement('div');
      bar.className = 'bar ' + w.outcome;
      bar.style.height = (w.outcome === 'excused' ? 100 : 100 * w.done / top) + '%';
      slot.appendChild(bar);
      chart.appendChild(slot);
    }
    return chart;
  }

  function addSummary(u) {
    $('finished').hidden = false;
    const div = document.createElement('div');
    div.className = 'summary';
    const h = document.createElement('h3');
    h.textContent = `${u.person}: ${u.summary.percentDone}% done` + (u.endedEarly ? ' (ended early)' : '');
    const table = document.createElement('table');
    for (const i of u.summary.items) {
      const tr = table.insertRow();
      for (const v of [i.name, `${i.setsDone}/${i.sets} sets`, `${i.repsDone}/${i.reps} reps`,
        `${i.holdsKept}/${i.holds} holds`, i.skipped ? 'skipped' : '', i.discomfort ? 'hurt' : '']) {
        tr.insertCell().textContent = v;
      }
    }
    div.append(h, table);
    $('summaries').prepend(div);
  }

  // Following one session, cue by cue.
  function follow(r) {
    if (followSource) followSource.close();
    followed = r.session;
    $('follow').hidden = false;
    $('follow-person').textContent = r.person;
    $('cues').replaceChildren();
    followSource = new EventSource('events/follow?session=' + encodeURIComponent(r.session));
    followSource.addEventListener('session', (e) => {
      const m = JSON.parse(e.data);
      const text = m.kind === 'coach_cue' ? 'You: ' + m.cue
        : m.kind === 'discomfort_reported' ? 'It hurts' + (m.note ? ': ' + m.note : '')
          : m.say || m.card.step;
      if (!text) return;
      const li = document.createElement('li');
      li.textContent = text;
      li.className = m.kind === 'coach_cue' ? 'coach' : m.kind === 'discomfort_reported' ? 'discomfort' : '';
      $('cues').appendChild(li);
      while ($('cues').children.length > 200) $('cues').firstChild.remove();
      $('cues').scrollTop = $('cues').scrollHeight;
    });
  }

  $('cue-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('cue-text').value.trim();
    if (!text || !followed) return;
    const res = await fetch('api/cue', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ session: followed, text }),
    });
    if (res.ok) {
      $('cue-text').value = '';
    } else {
      const err = await res.json().catch(() => ({ error: res.statusText }));
      notice(err.error);
    }
  });

  connect();
})();
