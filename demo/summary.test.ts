import { emptyTrafficStats } from './client-traffic';
import { parsePrometheusText } from './prometheus-text';
import { renderSummary, verdictOf, type DemoResult } from './summary';

function cleanRun(): DemoResult {
  const traffic = emptyTrafficStats();
  traffic.requests = 100;
  return {
    walks: [{ context: 'identity', visits: [{ stage: 'shadow', enteredAfterMs: 0 }, { stage: 'retired', enteredAfterMs: 40_000 }], tookMs: 40_000, refusals: 0, verify: null }],
    traffic,
    acknowledgedWrites: 30,
    bothSides: { users: 20, differences: [] },
    finalVerify: { exitCode: 0, drift: { identity: 0, profile: 0, preferences: 0 }, unsyncable: { identity: 10 }, runId: 4 },
    proxyMetrics: parsePrometheusText('strangler_proxy_requests_total{context="identity",route="account.read",backend="new",status="200"} 60'),
  };
}

describe('the demo\'s verdict', () => {
  it('passes a clean run, unsyncable legacy rows included', () => {
    expect(verdictOf(cleanRun())).toEqual({ ok: true, reasons: [] });
    const summary = renderSummary(cleanRun());
    expect(summary).toContain('legacy → shadow → retired');
    expect(summary).toContain('new 60');
    expect(summary).toContain('RESULT: every context retired under load; nothing lost; verify clean.');
  });

  it('fails a run where a held write reached its client as a 503 (the proxy keeps them through a hand-over)', () => {
    const run = cleanRun();
    run.traffic.held = 2;
    expect(verdictOf(run)).toEqual({ ok: false, reasons: ['2 held write(s) reached a client as 503 PROXY.WRITES_HELD'] });
    expect(renderSummary(run)).toContain('held writes that reached a client as errors (503 PROXY.WRITES_HELD, retried): 2');
  });

  it('fails a run where a client request failed because of the migration', () => {
    const run = cleanRun();
    run.traffic.failed = 1;
    run.traffic.failures.push({ operation: 'read-preferences', request: 'GET /api/users/5/preferences', status: 404, code: 'PREFERENCES.PREFERENCES_NOT_FOUND' });
    expect(verdictOf(run).ok).toBe(false);
    expect(renderSummary(run)).toContain('failed: GET /api/users/5/preferences -> 404 PREFERENCES.PREFERENCES_NOT_FOUND');
  });

  it('fails a run that lost an acknowledged write, whose verify drifted, or that never verified', () => {
    expect(verdictOf({ ...cleanRun(), bothSides: { users: 20, differences: ['user 3 on legacy: profile missing (404)'] } }).ok).toBe(false);
    expect(verdictOf({ ...cleanRun(), finalVerify: { exitCode: 1, drift: { profile: 2 }, unsyncable: {}, runId: 5 } }).ok).toBe(false);
    expect(verdictOf({ ...cleanRun(), finalVerify: null }).reasons).toEqual(['the final `strangler verify` did not run']);
    expect(verdictOf({ ...cleanRun(), aborted: 'cdc exited' }).ok).toBe(false);
  });

  it('stopped before any traffic, says why without a table of zeros', () => {
    const summary = renderSummary({ ...cleanRun(), walks: [], traffic: emptyTrafficStats(), finalVerify: null, aborted: 'ports in use: proxy 8080' });
    expect(summary).toBe('RESULT: FAILED\n  - the demo stopped early: ports in use: proxy 8080\n  - the final `strangler verify` did not run');
  });
});
