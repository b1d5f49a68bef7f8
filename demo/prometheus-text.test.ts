import { parsePrometheusText, sumBy, sumOf } from './prometheus-text';

const exposition = [
  '# HELP strangler_proxy_requests_total Requests answered.',
  '# TYPE strangler_proxy_requests_total counter',
  'strangler_proxy_requests_total{context="identity",route="account.read",backend="legacy",status="200"} 12',
  'strangler_proxy_requests_total{context="identity",route="account.read",backend="new",status="200"} 3',
  'strangler_proxy_requests_total{context="identity",route="users.sign-up",backend="proxy",status="503"} 2',
  'strangler_cdc_lag_seconds_bucket{direction="forward",le="+Inf"} 7',
  'strangler_odd{reason="a \\"quoted\\", comma\\\\ and\\nnewline"} 1.5e3',
  'process_start_time_seconds 1795276803',
  '',
].join('\n');

describe('Prometheus text parsing', () => {
  it('reads every sample with its labels and value, skipping comments', () => {
    const samples = parsePrometheusText(exposition);
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({ name: 'strangler_proxy_requests_total', labels: { context: 'identity', route: 'account.read', backend: 'legacy', status: '200' }, value: 12 });
    expect(samples[3]).toEqual({ name: 'strangler_cdc_lag_seconds_bucket', labels: { direction: 'forward', le: '+Inf' }, value: 7 });
    expect(samples[5]).toEqual({ name: 'process_start_time_seconds', labels: {}, value: 1795276803 });
  });

  it('keeps escaped quotes, commas, backslashes and newlines inside a label value', () => {
    const odd = parsePrometheusText(exposition).find((s) => s.name === 'strangler_odd')!;
    expect(odd.labels.reason).toBe('a "quoted", comma\\ and\nnewline');
    expect(odd.value).toBe(1500);
  });

  it('sums by label and filters by labels', () => {
    const samples = parsePrometheusText(exposition);
    expect(sumOf(samples, 'strangler_proxy_requests_total')).toBe(17);
    expect(sumOf(samples, 'strangler_proxy_requests_total', { backend: 'new' })).toBe(3);
    expect(Object.fromEntries(sumBy(samples, 'strangler_proxy_requests_total', 'backend'))).toEqual({ legacy: 12, new: 3, proxy: 2 });
  });
});
