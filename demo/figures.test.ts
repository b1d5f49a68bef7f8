import { figuresFrom, renderFigures, requestRates } from './figures';
import { parsePrometheusText } from './prometheus-text';

const proxy = parsePrometheusText([
  'strangler_proxy_requests_total{context="identity",route="account.read",backend="legacy",status="200"} 90',
  'strangler_proxy_requests_total{context="identity",route="account.read",backend="new",status="200"} 10',
  'strangler_proxy_requests_total{context="identity",route="account.read",backend="new",status="504"} 1',
  'strangler_proxy_requests_total{context="identity",route="users.sign-up",backend="proxy",status="503"} 1',
  'strangler_proxy_requests_total{context="profile",route="profile.change",backend="legacy",status="400"} 2',
  'strangler_proxy_held_writes_total{context="identity"} 4',
  'strangler_shadow_comparisons_total{context="identity",result="match"} 40',
  'strangler_shadow_comparisons_total{context="identity",result="mismatch"} 1',
  'strangler_shadow_comparisons_total{context="profile",result="lag"} 2',
  'strangler_context_stage{context="identity",stage="shadow"} 0',
  'strangler_context_stage{context="identity",stage="canary"} 1',
  'strangler_context_stage{context="profile",stage="legacy"} 1',
  'strangler_canary_percent{context="identity"} 50',
].join('\n'));
const cdc = parsePrometheusText([
  'strangler_verify_drift_rows{context="profile",kind="missing"} 2',
  'strangler_verify_drift_rows{context="profile",kind="unsyncable"} 9',
  'strangler_cdc_dead_letters_total{direction="forward"} 3',
].join('\n'));
const sync = [{ name: 'forward', state: 'running', healthy: true, backlog: 0, lastLagSeconds: 0.25 }];

describe('live figures', () => {
  const figures = figuresFrom(proxy, cdc, sync);

  it('counts requests and 5xx by backend; a deserved 4xx and a kept write are not errors, a hold that reached the client is', () => {
    expect(figures.requestsByBackend).toEqual({ legacy: 92, new: 11, proxy: 1 });
    expect(figures.errorsByBackend).toEqual({ new: 1, proxy: 1 });
    expect(figures.heldWrites).toBe(4);
  });

  it('reads the current stage (gauge at 1), the canary percentage and the shadow results', () => {
    expect(figures.stageByContext).toEqual({ identity: 'canary', profile: 'legacy' });
    expect(figures.canaryByContext).toEqual({ identity: 50 });
    expect(figures.shadow).toEqual({ match: 40, mismatch: 1, lag: 2, error: 0 });
  });

  it('counts verify drift without the unsyncable rows, which never fail verify', () => {
    expect(figures.verifyDriftByContext).toEqual({ profile: 2 });
    expect(figures.deadLetters).toBe(3);
  });

  it('renders stages, rates and sync lag', () => {
    const later = figuresFrom(parsePrometheusText('strangler_proxy_requests_total{context="identity",route="x",backend="legacy",status="200"} 110'), cdc, sync);
    const rates = requestRates(figures, later, 2);
    expect(rates.legacy).toBe(9);
    const lines = renderFigures(figures, rates).join('\n');
    expect(lines).toContain('identity canary 50%');
    expect(lines).toContain('forward running lag 0.25 s backlog 0');
    expect(lines).toContain('verify drift profile 2');
  });
});
