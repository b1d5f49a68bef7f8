// The operator console's pure logic: what the page says about a context, a guard, a sync, an audit entry
// or an admin API answer, as plain strings and flags. No DOM and no fetch here, so Node unit-tests it
// (console-view.test.ts) and the browser loads the same file as a classic script (console-view.d.ts types it).
// Everything returned is text for textContent: nothing here is ever parsed as markup.
'use strict';

(function (exportTo) {
  const STAGES = ['legacy', 'shadow', 'canary', 'reads', 'writes', 'retired'];
  const MAX_VALUE_CHARS = 60;
  const MAX_ACTOR_CHARS = 200;

  /** The stages a rollback may go to from `stage`, nearest first (the usual way out is one step back). */
  function rollbackTargets(stage) {
    const index = STAGES.indexOf(stage);
    return index <= 0 ? [] : STAGES.slice(0, index).reverse();
  }

  /** Where each stage stands relative to the current one, for the pipeline strip. */
  function stagePipeline(stage) {
    const current = STAGES.indexOf(stage);
    return STAGES.map((name, index) => ({ stage: name, position: index < current ? 'done' : index === current ? 'current' : 'ahead' }));
  }

  function guardLine(guard) {
    return { passed: guard.passed === true, mark: guard.passed ? '✓' : '✗', text: `${guard.guard}: ${guard.reason}` };
  }

  /** The next promotion at a glance: `ready`, `blocked` (some guard fails) or `final` (retired). */
  function nextSummary(next) {
    if (next === null || next === undefined) return { state: 'final', text: 'retired is the last stage: nothing to promote to' };
    const total = next.guards.length;
    if (total === 0) return { state: 'ready', text: `promotion to ${next.stage}: no guards for this step` };
    const failed = next.guards.filter((guard) => !guard.passed).length;
    if (failed === 0) return { state: 'ready', text: `promotion to ${next.stage}: all ${total} guards pass` };
    return { state: 'blocked', text: `promotion to ${next.stage}: ${failed} of ${total} guards fail` };
  }

  function formatSeconds(seconds) {
    if (seconds === null || seconds === undefined) return 'none measured';
    if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
    return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  }

  function formatBacklog(backlog) {
    if (backlog === null || backlog === undefined) return 'not measured';
    return `${backlog} event${backlog === 1 ? '' : 's'}`;
  }

  /** The sync direction carrying a context's writes (GET /admin/contexts `sync`). */
  function syncLine(sync) {
    if (!sync) return { healthy: false, text: 'no sync reported' };
    if (sync.reachable === false) return { healthy: false, text: `cdc workers unreachable: ${sync.reason}` };
    if (sync.running === false) return { healthy: false, text: sync.reason || `no ${sync.direction} worker reported` };
    const healthy = sync.healthy === true && sync.state === 'running';
    const parts = [`${sync.direction} sync ${sync.state}${sync.healthy ? '' : ', unhealthy'}`, `lag ${formatSeconds(sync.lagSeconds)}`, `backlog ${formatBacklog(sync.backlog)}`];
    if (sync.reason) parts.push(sync.reason);
    return { healthy, text: parts.join(' · ') };
  }

  /** A cdc worker as a table row (GET /admin/contexts `cdc.workers`). */
  function workerRow(worker) {
    return {
      healthy: worker.healthy === true,
      cells: [worker.name, worker.state + (worker.healthy ? '' : ', unhealthy'), formatSeconds(worker.lastLagSeconds), formatBacklog(worker.backlog), worker.reason || ''],
    };
  }

  /**
   * A proxy instance as a table row (GET /admin/contexts `instances`): where it runs, its lease, and the stage
   * versions it has confirmed. Only live leases forward writes; a lapsed or fenced one is flagged.
   */
  function instanceRow(instance, now) {
    const confirmed = Object.entries(instance.confirmedVersions || {}).map(([context, version]) => `${context} v${version}`).join(', ');
    const lease = instance.state === 'live' ? `live, renewed ${formatAge(instance.renewedAt, now)}` : `${instance.state} since ${formatTime(instance.leaseExpiresAt)}`;
    return { live: instance.state === 'live', cells: [instance.instanceId.slice(0, 8), `${instance.host} pid ${instance.pid}`, lease, confirmed || 'nothing yet'] };
  }

  /** "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
  function formatAge(iso, now) {
    const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
    if (seconds < 120) return `${seconds} s ago`;
    if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
    return `${Math.round(seconds / 86400)} d ago`;
  }

  /** An ISO timestamp as "2026-11-21 15:52:03 UTC" (operators compare it with logs, which are UTC). */
  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  }

  function shorten(text) {
    return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
  }

  /**
   * One side of a difference. The proxy stores them redacted (proxy/shadow/shadow-comparison.ts `redact`):
   * `{type, length?, value?}`, the value only for fields that are never personal; anything else is shown raw.
   */
  function showValue(value) {
    if (value === undefined) return 'absent';
    const redacted = value !== null && typeof value === 'object' && typeof value.type === 'string' ? value : null;
    if (redacted === null) return shorten(JSON.stringify(value));
    if ('value' in redacted) return shorten(JSON.stringify(redacted.value));
    switch (redacted.type) {
      case 'absent':
      case 'null':
        return redacted.type;
      case 'string':
        return `a string of ${redacted.length} chars`;
      case 'array':
        return `an array of ${redacted.length}`;
      case 'object':
        return `an object of ${redacted.length} keys`;
      default:
        return `a ${redacted.type}`;
    }
  }

  /** A shadow mismatch's differences (`[{path, legacy, new}]`, already redacted by the proxy), one line each. */
  function differenceLines(differences) {
    if (!Array.isArray(differences)) return [showValue(differences)];
    return differences.map((difference) => `${difference.path}: legacy ${showValue(difference.legacy)}, new ${showValue(difference.new)}`);
  }

  function mismatchRow(mismatch) {
    return {
      cells: [formatTime(mismatch.observedAt), mismatch.context, mismatch.route, mismatch.result, mismatch.usrId === null ? '' : String(mismatch.usrId)],
      differences: differenceLines(mismatch.differences),
    };
  }

  function describeChange(entry) {
    if (entry.action === 'canary') return `canary ${entry.fromCanaryPercent}% → ${entry.toCanaryPercent}%`;
    const canary = entry.toStage === 'canary' ? ` at ${entry.toCanaryPercent}%` : '';
    return `${entry.action} ${entry.fromStage} → ${entry.toStage}${canary}`;
  }

  function auditRow(entry) {
    return { forced: entry.forced === true, cells: [formatTime(entry.at), entry.actor, entry.context, describeChange(entry) + (entry.forced ? ' (forced)' : ''), entry.reason || ''] };
  }

  const canaryAt = (position) => (position.stage === 'canary' ? ` at ${position.canaryPercent}%` : '');

  /**
   * What the operator is told after a call of the admin API: `kind` is applied, dry-run, refused (the guards
   * or the transition said no), unauthorized, or failed; `lines` are the details (each failed guard's reason
   * on a refusal, every guard on a dry run).
   */
  function outcomeMessage(status, body) {
    if (status === 401) return { kind: 'unauthorized', title: 'Unauthorized: the admin API refused the token; nothing was changed', lines: [] };
    const error = body && body.error;
    if (status >= 400 || error) {
      if (!error) return { kind: 'failed', title: `The admin API answered ${status} without an explanation`, lines: [] };
      if (error.code === 'ADMIN.GUARDS_FAILED') {
        const failed = (error.guards || []).filter((guard) => !guard.passed).map((guard) => `✗ ${guard.guard}: ${guard.reason}`);
        return { kind: 'refused', title: 'Refused: guards failed; nothing was changed', lines: failed.length > 0 ? failed : [error.message] };
      }
      const refused = status === 409 || status === 400 || status === 404;
      return { kind: refused ? 'refused' : 'failed', title: `${refused ? 'Refused' : 'Failed'}: ${error.code}`, lines: [error.message] };
    }
    if (!body || typeof body !== 'object') return { kind: 'failed', title: `The admin API answered ${status} with no JSON body`, lines: [] };
    if (body.dryRun === true) {
      const lines = body.guards.map((guard) => { const line = guardLine(guard); return `${line.mark} ${line.text}`; });
      if (body.drains) lines.push(`writes change hands: the ${body.drains} sync is drained first`);
      if (body.guards.length === 0) lines.unshift('no guards for this step');
      return { kind: 'dry-run', title: `Dry run: ${body.context} ${body.from.stage} → ${body.to.stage}${canaryAt(body.to)} would be ${body.allowed ? 'allowed' : 'refused'}; nothing was changed`, lines };
    }
    if (body.action === 'canary') {
      const title = body.audit === null ? `${body.context}: canary already at ${body.to.canaryPercent}%; nothing changed` : `${body.context}: canary ${body.from.canaryPercent}% → ${body.to.canaryPercent}%`;
      return { kind: 'applied', title, lines: [] };
    }
    const lines = [];
    if (body.drained) lines.push(`the ${body.drained.direction} sync was drained in ${body.drained.tookMs} ms before writes changed hands`);
    return { kind: 'applied', title: `${body.context}: ${body.action} ${body.from.stage} → ${body.to.stage}${canaryAt(body.to)}${body.forced ? ' (forced)' : ''}`, lines };
  }

  /** The percentage typed in the canary field: a whole number 0-100, or why not. */
  function parsePercent(text) {
    const trimmed = String(text).trim();
    if (!/^[0-9]{1,3}$/.test(trimmed) || Number(trimmed) > 100) return { error: 'the canary percentage is a whole number from 0 to 100' };
    return { percent: Number(trimmed) };
  }

  /** The X-Strangler-Actor the console sends: the name typed, else "console"; printable, at most 200 characters. */
  function actorFor(name) {
    const printable = String(name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
    return printable === '' ? 'console' : printable.slice(0, MAX_ACTOR_CHARS);
  }

  /** A request body with the reason only when one was typed (the API treats blank as none anyway). */
  function withReason(body, reason) {
    const trimmed = String(reason ?? '').trim();
    return trimmed === '' ? body : Object.assign({}, body, { reason: trimmed });
  }

  const view = { STAGES, rollbackTargets, stagePipeline, guardLine, nextSummary, formatSeconds, formatBacklog, syncLine, workerRow, instanceRow, formatAge, formatTime, differenceLines, mismatchRow, describeChange, auditRow, outcomeMessage, parsePercent, actorFor, withReason };
  if (typeof module === 'object' && module.exports) module.exports = view;
  else exportTo.StranglerConsoleView = Object.freeze(view);
})(typeof globalThis === 'object' ? globalThis : this);
