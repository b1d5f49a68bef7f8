// The operator console's wiring: asks the admin API every few seconds and renders the answer; its buttons
// call the same API as `strangler promote | rollback | canary`, so the same guards apply. Text is only
// ever set with textContent (never innerHTML): routes, reasons and differences come from outside.
// The token lives in `session.token` and nowhere else: not in a cookie, not in storage, not in the URL.
'use strict';

(function () {
  const view = window.StranglerConsoleView;
  const REFRESH_MS = 3000;
  const LIST_LIMIT = 20;

  const session = { token: null, actor: 'console', timer: null, refreshing: false, refreshAgain: false };
  const cards = new Map();

  const $ = (id) => document.getElementById(id);
  const field = (root, name) => root.querySelector(`[data-field="${name}"]`);
  const action = (root, name) => root.querySelector(`[data-action="${name}"]`);

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function fillList(list, lines, lineClass) {
    list.replaceChildren(...lines.map((line) => element('li', line.text ?? line, lineClass ? lineClass(line) : undefined)));
  }

  /** One call of the admin API; answers {status, body} (body undefined when it is not JSON). */
  async function callAdmin(method, path, json) {
    const headers = { authorization: `Bearer ${session.token}`, 'x-strangler-actor': session.actor };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), cache: 'no-store', credentials: 'omit', redirect: 'error' });
    let body;
    try {
      body = await response.json();
    } catch (error) {
      body = undefined; // outcomeMessage explains a non-JSON answer with its status
    }
    return { status: response.status, body };
  }

  // --- the token -------------------------------------------------------------------------------------------

  function showPrompt(message) {
    session.token = null;
    clearTimeout(session.timer);
    session.timer = null;
    $('dashboard').hidden = true;
    // What was shown stays behind no more than the token does.
    $('contexts').replaceChildren();
    cards.clear();
    for (const table of ['workers', 'instances', 'mismatches', 'audit']) $(table).tBodies[0].replaceChildren();
    $('sign-out').hidden = true;
    $('token-form').hidden = false;
    $('auth-message').textContent = message;
    $('refresh-status').textContent = '';
    $('token-input').focus();
  }

  async function openConsole(event) {
    event.preventDefault();
    const input = $('token-input');
    session.token = input.value;
    input.value = ''; // out of the DOM: it lives in session.token only
    session.actor = view.actorFor($('actor-input').value);
    $('auth-message').textContent = 'Checking the token…';
    $('token-submit').disabled = true;
    try {
      const contexts = await callAdmin('GET', '/admin/contexts');
      if (contexts.status === 401) return showPrompt('Unauthorized: the admin API refused this token. Nothing was changed.');
      if (contexts.status !== 200) return showPrompt(view.outcomeMessage(contexts.status, contexts.body).title);
      $('auth-message').textContent = '';
      $('token-form').hidden = true;
      $('dashboard').hidden = false;
      $('sign-out').hidden = false;
      await refresh();
    } catch (error) {
      showPrompt(`The admin API could not be reached: ${error.message}`);
    } finally {
      $('token-submit').disabled = false;
    }
  }

  // --- refresh ---------------------------------------------------------------------------------------------

  async function refresh() {
    clearTimeout(session.timer);
    if (session.token === null) return;
    // A refresh under way may have read the state from before a change just made: one more follows it.
    if (session.refreshing) {
      session.refreshAgain = true;
      return;
    }
    session.refreshing = true;
    session.refreshAgain = false;
    try {
      const [contexts, mismatches, audit] = await Promise.all([
        callAdmin('GET', '/admin/contexts'),
        callAdmin('GET', `/admin/shadow/mismatches?limit=${LIST_LIMIT}`),
        callAdmin('GET', `/admin/audit?limit=${LIST_LIMIT}`),
      ]);
      if ([contexts, mismatches, audit].some((answer) => answer.status === 401)) {
        return showPrompt('Unauthorized: the admin API no longer accepts the token. Enter it again.');
      }
      const failed = [contexts, mismatches, audit].find((answer) => answer.status !== 200);
      if (failed) throw new Error(view.outcomeMessage(failed.status, failed.body).title);
      const now = new Date();
      renderContexts(contexts.body.contexts, now);
      renderCdc(contexts.body.cdc);
      renderInstances(contexts.body.instances || []);
      renderMismatches(mismatches.body.mismatches);
      renderAudit(audit.body.entries);
      $('refresh-status').textContent = `updated ${view.formatTime(now.toISOString())} · every ${REFRESH_MS / 1000} s · as ${session.actor}`;
      $('refresh-status').classList.remove('stale');
    } catch (error) {
      $('refresh-status').textContent = `refresh failed (${error.message}); retrying`;
      $('refresh-status').classList.add('stale');
    } finally {
      session.refreshing = false;
      if (session.token !== null) session.timer = setTimeout(refresh, session.refreshAgain ? 0 : REFRESH_MS);
    }
  }

  // --- contexts --------------------------------------------------------------------------------------------

  function cardFor(context) {
    const existing = cards.get(context);
    if (existing) return existing;
    const card = $('context-card').content.firstElementChild.cloneNode(true);
    card.dataset.context = context;
    field(card, 'name').textContent = context;
    action(card, 'promote').addEventListener('click', () => promote(context, false));
    action(card, 'dry-run').addEventListener('click', () => promote(context, true));
    action(card, 'rollback').addEventListener('click', () => rollback(context));
    action(card, 'canary').addEventListener('click', () => setCanary(context));
    field(card, 'percent').addEventListener('input', (event) => { event.target.dataset.edited = 'yes'; });
    $('contexts').append(card);
    const entry = { card, state: null };
    cards.set(context, entry);
    return entry;
  }

  function renderContexts(contexts, now) {
    for (const state of contexts) {
      const entry = cardFor(state.context);
      entry.state = state;
      const { card } = entry;
      card.dataset.stage = state.stage;

      field(card, 'stage').textContent = state.stage;
      fillList(field(card, 'pipeline'), view.stagePipeline(state.stage).map((step) => ({ text: step.stage, position: step.position })), (step) => step.position);

      field(card, 'canary').textContent = state.stage === 'canary' ? `${state.canaryPercent}% of users read from the new service` : `not in canary (kept at ${state.canaryPercent}%)`;
      const writes = field(card, 'writes');
      writes.textContent = `${state.writesOwner === 'new' ? 'the new service' : 'legacy'} owns writes` + (state.writesHeld ? ` · HELD since ${view.formatTime(state.writesHeld.since)}: ${state.writesHeld.reason ?? ''}` : '');
      writes.classList.toggle('warning', state.writesHeld !== null);
      const sync = view.syncLine(state.sync);
      field(card, 'sync').textContent = sync.text;
      field(card, 'sync').classList.toggle('warning', !sync.healthy);
      field(card, 'since').textContent = `since ${view.formatTime(state.changedAt)} (${view.formatAge(state.changedAt, now)}) · version ${state.version}`;

      const summary = view.nextSummary(state.next);
      const summaryNode = field(card, 'next-summary');
      summaryNode.textContent = summary.text;
      summaryNode.className = summary.state;
      const guards = state.next ? state.next.guards.map(view.guardLine) : [];
      fillList(field(card, 'guards'), guards.map((line) => ({ text: `${line.mark} ${line.text}`, passed: line.passed })), (line) => (line.passed ? 'passed' : 'failed'));

      const promoteButton = action(card, 'promote');
      promoteButton.textContent = state.next ? `Promote to ${state.next.stage}` : 'Promote';
      promoteButton.disabled = state.next === null || card.dataset.busy === 'yes';
      action(card, 'dry-run').disabled = promoteButton.disabled;

      const select = field(card, 'rollback-to');
      const targets = view.rollbackTargets(state.stage);
      if (select.dataset.options !== targets.join(',')) {
        const chosen = select.value;
        select.replaceChildren(...targets.map((stage) => { const option = element('option', stage); option.value = stage; return option; }));
        if (targets.includes(chosen)) select.value = chosen;
        select.dataset.options = targets.join(',');
      }
      action(card, 'rollback').disabled = targets.length === 0 || card.dataset.busy === 'yes';
      field(card, 'rollback-control').hidden = targets.length === 0;

      // In canary the field sets the percentage; just before it, it is where the promotion starts (blank:
      // the admin's STRANGLER_ADMIN_INITIAL_CANARY_PERCENT).
      const entering = entersCanary(state);
      field(card, 'canary-control').hidden = state.stage !== 'canary' && !entering;
      field(card, 'percent-label').textContent = entering ? 'Start canary at %' : 'Canary %';
      action(card, 'canary').hidden = state.stage !== 'canary';
      const percent = field(card, 'percent');
      percent.placeholder = entering ? 'default' : '';
      // The operator's half-typed value survives the refresh.
      if (percent.dataset.edited !== 'yes' && document.activeElement !== percent) percent.value = entering ? '' : String(state.canaryPercent);
    }
  }

  function renderCdc(cdc) {
    const summary = $('cdc-summary');
    const body = $('workers').tBodies[0];
    if (!cdc.reachable) {
      summary.textContent = `cdc workers unreachable: ${cdc.reason}. Guards that need the sync fail until they answer.`;
      summary.className = 'summary warning';
      body.replaceChildren();
      return;
    }
    summary.textContent = `${cdc.workers.length} worker${cdc.workers.length === 1 ? '' : 's'} reporting`;
    summary.className = 'summary';
    body.replaceChildren(...cdc.workers.map((worker) => tableRow(view.workerRow(worker).cells, worker.healthy ? '' : 'warning')));
  }

  function renderInstances(instances) {
    const live = instances.filter((instance) => instance.state === 'live').length;
    const summary = $('instances-summary');
    summary.textContent = `${live} of ${instances.length} instance${instances.length === 1 ? '' : 's'} with a live lease; a hand-over waits for each live one to confirm its hold`;
    summary.className = live === instances.length ? 'summary' : 'summary warning';
    const now = new Date();
    $('instances').tBodies[0].replaceChildren(...instances.map((instance) => {
      const row = view.instanceRow(instance, now);
      return tableRow(row.cells, row.live ? '' : 'warning');
    }));
  }

  function tableRow(cells, className) {
    const row = element('tr', undefined, className || undefined);
    row.append(...cells.map((cell) => element('td', cell)));
    return row;
  }

  function renderMismatches(mismatches) {
    const body = $('mismatches').tBodies[0];
    body.replaceChildren(
      ...mismatches.map((mismatch) => {
        const described = view.mismatchRow(mismatch);
        const row = tableRow(described.cells, mismatch.result);
        const differences = element('td');
        const list = element('ul', undefined, 'differences');
        fillList(list, described.differences);
        differences.append(list);
        row.append(differences);
        return row;
      }),
    );
    $('mismatches-empty').hidden = mismatches.length > 0;
  }

  function renderAudit(entries) {
    $('audit').tBodies[0].replaceChildren(...entries.map((entry) => { const described = view.auditRow(entry); return tableRow(described.cells, described.forced ? 'forced' : ''); }));
    $('audit-empty').hidden = entries.length > 0;
  }

  // --- changes ---------------------------------------------------------------------------------------------

  function showOutcome(card, outcome) {
    const box = field(card, 'outcome');
    box.hidden = false;
    box.className = `outcome ${outcome.kind}`;
    field(card, 'outcome-title').textContent = outcome.title;
    fillList(field(card, 'outcome-lines'), outcome.lines);
  }

  /** Runs one change of a context: buttons off while it runs, its answer shown on the card, then a refresh. */
  async function change(context, method, path, json) {
    const { card } = cardFor(context);
    card.dataset.busy = 'yes';
    card.querySelectorAll('button').forEach((button) => { button.disabled = true; });
    showOutcome(card, { kind: 'pending', title: 'Working… (a hand-over of writes waits for the sync to drain)', lines: [] });
    try {
      const answer = await callAdmin(method, path, json);
      if (answer.status === 401) return showPrompt('Unauthorized: the admin API refused the token; nothing was changed. Enter it again.');
      const outcome = view.outcomeMessage(answer.status, answer.body);
      showOutcome(card, outcome);
      if (outcome.kind === 'applied') {
        field(card, 'reason').value = '';
        delete field(card, 'percent').dataset.edited;
      }
    } catch (error) {
      showOutcome(card, { kind: 'failed', title: `The admin API could not be reached: ${error.message}`, lines: ['the change may or may not have happened: check the stage and the audit log'] });
    } finally {
      delete card.dataset.busy;
      card.querySelectorAll('button').forEach((button) => { button.disabled = false; });
    }
    await refresh();
  }

  const reasonOf = (context) => field(cardFor(context).card, 'reason').value;
  const entersCanary = (state) => state.next !== null && state.next.stage === 'canary';

  function promote(context, dryRun) {
    const { card, state } = cardFor(context);
    if (!state || !state.next) return;
    const body = view.withReason({ to: state.next.stage, dryRun }, reasonOf(context));
    const percent = field(card, 'percent');
    if (entersCanary(state) && percent.value.trim() !== '') {
      const parsed = view.parsePercent(percent.value);
      if ('error' in parsed) return showOutcome(card, { kind: 'refused', title: parsed.error, lines: [] });
      body.percent = parsed.percent;
    }
    if (!dryRun && !window.confirm(`Promote ${context} from ${state.stage} to ${state.next.stage}?`)) return;
    return change(context, 'POST', `/admin/contexts/${encodeURIComponent(context)}/promote`, body);
  }

  function rollback(context) {
    const { card, state } = cardFor(context);
    const to = field(card, 'rollback-to').value;
    if (!state || !to) return;
    if (!window.confirm(`Roll ${context} back from ${state.stage} to ${to}?`)) return;
    return change(context, 'POST', `/admin/contexts/${encodeURIComponent(context)}/rollback`, view.withReason({ to }, reasonOf(context)));
  }

  function setCanary(context) {
    const { card } = cardFor(context);
    const input = field(card, 'percent');
    const parsed = view.parsePercent(input.value);
    if ('error' in parsed) return showOutcome(card, { kind: 'refused', title: parsed.error, lines: [] });
    if (!window.confirm(`Serve ${context}'s reads from the new service for ${parsed.percent}% of users?`)) return;
    delete input.dataset.edited;
    return change(context, 'PUT', `/admin/contexts/${encodeURIComponent(context)}/canary`, view.withReason({ percent: parsed.percent }, reasonOf(context)));
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', openConsole);
    $('sign-out').addEventListener('click', () => showPrompt('Token forgotten.'));
    $('token-input').focus();
  });
})();
