// Pairing a screen: the gateway starts a pairing with coachd and keeps its
// secret (the device code) in an HttpOnly cookie; this page shows the user
// code large, asks the gateway at the interval whether the person approved
// it, and on approval goes to the display (or the coach's board). The page
// never sees a token.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { userCode: '', state: 'starting', polls: 0, deadline: 0 };
  window.coachdPair = state;
  let timer = null;

  function post(path) {
    return fetch(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: '{}', credentials: 'same-origin',
    }).then((r) => r.json().then((body) => ({ ok: r.ok, body })));
  }

  function show(what, text) {
    state.state = what;
    document.body.dataset.state = what;
    $('message').hidden = !text;
    $('message').textContent = text || '';
    $('again').hidden = what === 'waiting' || what === 'starting';
  }

  function countdown() {
    const left = Math.max(0, Math.ceil((state.deadline - Date.now()) / 1000));
    $('left').textContent = state.state === 'waiting'
      ? `Waiting for approval: ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left`
      : '';
  }
  setInterval(countdown, 500);

  function poll(intervalSeconds) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.polls++;
      post('api/pair/poll').then(({ ok, body }) => {
        if (!ok) return show('failed', 'Pairing failed: ' + body.error);
        if (body.state === 'approved') {
          show('approved', 'Approved. Opening the display…');
          location.replace(body.location || 'display');
        } else if (body.state === 'denied') {
          show('denied', 'The code was refused.');
        } else if (body.state === 'expired') {
          show('expired', 'The code expired before anyone approved it.');
        } else {
          poll(body.intervalSeconds || intervalSeconds);
        }
      }).catch(() => poll(intervalSeconds));  // The gateway is back soon.
    }, Math.max(1, intervalSeconds) * 1000);
  }

  function start() {
    show('starting', '');
    $('code').textContent = '…';
    post('api/pair/start').then(({ ok, body }) => {
      if (!ok) return show('failed', 'Cannot pair now: ' + body.error);
      state.userCode = body.userCode;
      state.deadline = Date.now() + body.expiresInSeconds * 1000;
      $('code').textContent = body.userCode;
      show('waiting', '');
      poll(body.intervalSeconds);
    }).catch(() => show('failed', 'The gateway cannot be reached.'));
  }

  $('again').addEventListener('click', start);
  start();
}());
