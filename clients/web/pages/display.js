// The wall display: shows what the gateway's event stream says and nothing
// else. The countdown runs here from the event's deadline (no message per
// second). Buttons POST to the gateway, which sends the command to coachd.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let sessionId = params.get('session') || '';
  const state = {
    epoch: '', seq: 0, lastId: '', run: 'none', card: null, routine: [],
    item: 0, remainingMs: 0, offsetMs: null, reminders: new Map(),
    seen: [],  // Every session sequence shown, in order (for the tests).
  };
  window.coachdDisplay = state;

  // Connection -------------------------------------------------------------
  let source = null;
  let hideTimer = null;
  function reconnecting(on) {
    clearTimeout(hideTimer);
    $('reconnecting').hidden = !on;
  }
  function connect() {
    let url = 'events/display';
    const q = new URLSearchParams();
    if (sessionId) q.set('session', sessionId);
    // A new EventSource cannot send Last-Event-ID: the gateway reads "last".
    if (state.lastId) q.set('last', state.lastId);
    if ([...q].length) url += '?' + q.toString();
    source = new EventSource(url);
    source.onopen = () => {
      // Stay "reconnecting" until the stream has held for a moment.
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => { $('reconnecting').hidden = true; }, 1500);
    };
    source.onerror = () => {
      reconnecting(true);
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, 2000);  // The browser gave up: start again.
      }
    };
    source.addEventListener('session', (e) => {
      state.lastId = e.lastEventId;
      onSession(JSON.parse(e.data));
    });
    source.addEventListener('reminder', (e) => onReminder(JSON.parse(e.data)));
    source.addEventListener('progress', (e) => onProgress(JSON.parse(e.data)));
    source.addEventListener('status', (e) => onStatus(JSON.parse(e.data)));
  }

  function onStatus(s) {
    if (s.state === 'down') reconnecting(true);
    if (s.state === 'nologin' || s.state === 'denied' || s.state === 'gone') {
      notice(s.state === 'nologin'
        ? 'This screen is not paired yet: pair it, or open a link from your app here.'
        : 'Cannot show this: ' + s.detail);
    }
    if (s.state === 'nologin') {
      $('pair-hint').hidden = false;
      source.close();
    }
  }

  function notice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }

  // The session --------------------------------------------------------------
  function onSession(m) {
    if (m.epoch === state.epoch && m.seq <= state.seq && m.kind !== 'snapshot') {
      return;  // Never expected: the gateway resumes exactly.
    }
    reconnecting(false);
    state.epoch = m.epoch;
    state.seq = m.seq;
    state.seen.push(m.kind === 'snapshot' ? 'snapshot:' + m.seq : m.seq);
    sessionId = m.session;
    if (m.routine) state.routine = m.routine;
    state.run = m.run;
    state.card = m.card;
    state.item = m.item;
    state.remainingMs = m.remainingMs;
    // The server's clock against ours: an event left the server at its
    // serverTime, so serverTime - now is the offset less the delay. The
    // largest such sample is the best; events replayed late (a resume, a
    // gateway that stalled) never pull it back, so a running countdown,
    // such as a hold's whose every tick carries the hold's end, never
    // restarts when they arrive. (A reload measures afresh.)
    if (m.serverTime) {
      const sample = m.serverTime - Date.now();
      if (state.offsetMs === null || sample > state.offsetMs) state.offsetMs = sample;
    }
    document.body.dataset.run = m.run;
    document.body.dataset.accent = m.card.accent || '';
    document.body.dataset.step = m.stepKind;
    if (m.run === 'finished') {
      showLive(false);
      if (m.summary) showSummary(m.summary);
      wakeLock(false);
      return;
    }
    showLive(true);
    wakeLock(true);
    const c = m.card;
    $('title').textContent = c.title;
    $('set').textContent = c.sets ? `Set ${c.set} of ${c.sets}` : '';
    $('rep').textContent = c.reps && c.rep ? `Rep ${c.rep} of ${c.reps}` : '';
    $('side').textContent = c.side ? c.side + ' side' : '';
    $('step').textContent = c.step;
    const list = $('steps');
    list.replaceChildren(...c.steps.map((text, i) => {
      const li = document.createElement('li');
      li.textContent = text;
      if (i === c.stepIndex) li.className = 'current';
      return li;
    }));
    $('progress-bar').style.width = c.progress + '%';
    $('next').textContent = state.routine[m.item + 1] || 'the end';
    const b = $('banner');
    const text = m.banner.kind === 'coach' && m.cue ? 'Coach: ' + m.cue
      : m.banner.text || (m.banner.kind === 'paused' ? 'Paused' : '');
    b.className = 'banner ' + m.banner.kind;
    b.textContent = text;
    b.hidden = !text;
    $('pause').textContent = m.run === 'paused' || m.run === 'discomfort' ? 'Resume' : 'Pause';
    $('pause').dataset.command = m.run === 'paused' || m.run === 'discomfort' ? 'resume' : 'pause';
    tick();
  }

  function showLive(on) {
    $('live').hidden = !on;
    $('idle').hidden = on;
  }

  // The countdown, from the deadline (corrected by the server's clock).
  function tick() {
    const c = state.card;
    let text = '';
    if (c && state.run === 'paused' && state.remainingMs > 0) {
      text = Math.ceil(state.remainingMs / 1000);
    } else if (c && c.deadline > 0 && state.run === 'running') {
      const left = c.deadline - (Date.now() + (state.offsetMs || 0));
      text = Math.max(0, Math.ceil(left / 1000));
    }
    $('countdown').textContent = text;
  }
  setInterval(tick, 200);

  function showSummary(s) {
    $('summary').hidden = false;
    $('summary-percent').textContent = s.percentDone + '%';
    const rows = s.items.map((i) => {
      const tr = document.createElement('tr');
      for (const v of [i.name, `${i.setsDone}/${i.sets} sets`,
        `${i.repsDone}/${i.reps} reps`, i.skipped ? 'skipped' : (i.discomfort ? 'hurt' : '')]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      return tr;
    });
    $('summary-table').replaceChildren(...rows);
  }

  // Keep the screen on while a session runs.
  let lock = null;
  async function wakeLock(on) {
    if (!('wakeLock' in navigator)) return;
    try {
      if (on && !lock) {
        lock = await navigator.wakeLock.request('screen');
        lock.addEventListener('release', () => { lock = null; });
      } else if (!on && lock) {
        await lock.release();
        lock = null;
      }
    } catch (e) { lock = null; }
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.run === 'running') wakeLock(true);
  });

  // Reminders and progress ---------------------------------------------------
  function onReminder(r) {
    const old = state.reminders.get(r.id);
    if (old && old.version > r.version) return;
    state.reminders.set(r.id, r);
    let due = null;
    for (const x of state.reminders.values()) if (x.state === 'due') due = x;
    $('reminder').hidden = !due;
    if (due) {
      $('reminder').dataset.id = due.id;
      $('reminder-title').textContent = due.title;
      $('reminder-text').textContent = due.text;
    }
  }

  function onProgress(p) {
    if (!p.goal) {
      $('week').textContent = 'No weekly goal yet';
      return;
    }
    $('week').textContent = `${p.week.done} of ${p.week.target}`;
    $('streak').textContent = p.streak === 1 ? 'Streak: 1 week' : `Streak: ${p.streak} weeks`;
    // Twelve slots, oldest first, this week last; weeks before the goal
    // began stay empty, paused (excused) weeks are hatched.
    let weeks = p.weeks.concat([{ done: p.week.done, target: p.week.target, outcome: 'open' }]);
    weeks = weeks.slice(-12);
    while (weeks.length < 12) weeks.unshift({ done: 0, target: 0, outcome: 'none' });
    const top = Math.max(1, ...weeks.map((w) => Math.max(w.done, w.target)));
    $('chart').replaceChildren(...weeks.map((w) => {
      const slot = document.createElement('div');
      slot.className = 'slot';
      const bar = document.createElement('div');
      bar.className = 'bar ' + w.outcome;
      bar.style.height = (w.outcome === 'excused' ? 100 : 100 * w.done / top) + '%';
      slot.title = `${w.start || 'this week'}: ${w.done} of ${w.target}`;
      if (w.target > 0) {
        const goal = document.createElement('div');
        goal.className = 'goal';
        goal.style.bottom = (100 * w.target / top) + '%';
        slot.appendChild(goal);
      }
      slot.appendChild(bar);
      return slot;
    }));
    $('next-reminder').textContent = p.nextReminder
      ? 'Next reminder: ' + new Date(p.nextReminder).toLocaleString([], { weekday: 'long', hour: '2-digit', minute: '2-digit' })
      : '';
  }

  // Buttons ------------------------------------------------------------------
  async function post(path, body) {
    const res = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ error: res.statusText }));
      notice(err.error);
      setTimeout(() => notice(''), 4000);
    }
    return res.ok;
  }
  document.querySelectorAll('#live button[data-command]').forEach((button) => {
    button.addEventListener('click', () =>
      post('api/command', { session: sessionId, command: button.dataset.command }));
  });
  $('reminder-done').addEventListener('click', () =>
    post('api/reminder', { id: $('reminder').dataset.id, action: 'done' }));
  $('reminder-snooze').addEventListener('click', () =>
    post('api/reminder', { id: $('reminder').dataset.id, action: 'snooze', minutes: 10 }));
  // Sign out: the gateway drops the cookie and revokes this screen.
  $('signout').addEventListener('click', async () => {
    if (source) source.close();
    await post('api/logout', {});
    location.replace('pair');
  });

  // Against burn-in: move everything a few pixels every minute.
  const shifts = [[0, 0], [6, 4], [-5, 6], [4, -5], [-6, -3]];
  let shiftIndex = 0;
  setInterval(() => {
    shiftIndex = (shiftIndex + 1) % shifts.length;
    const [x, y] = shifts[shiftIndex];
    $('shift').style.transform = `translate(${x}px, ${y}px)`;
  }, 60000);

  connect();
})();
