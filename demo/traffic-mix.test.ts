import { changeBody, DEFAULT_MIX, judge, pickOperation, retryAfterMs, type Operation } from './traffic-mix';

function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('traffic mix', () => {
  it('picks operations in proportion to their weights', () => {
    const counts: Partial<Record<Operation, number>> = {};
    for (let i = 0; i < 1000; i++) {
      const op = pickOperation(DEFAULT_MIX, () => (i + 0.5) / 1000);
      counts[op] = (counts[op] ?? 0) + 1;
    }
    const total = Object.values(DEFAULT_MIX).reduce((a, b) => a + b, 0);
    for (const [op, weight] of Object.entries(DEFAULT_MIX)) expect(counts[op as Operation] ?? 0).toBeCloseTo((1000 * weight) / total, -1);
  });

  it('never picks an operation whose weight is zero', () => {
    const mix = { ...DEFAULT_MIX, erase: 0 };
    for (let i = 0; i < 200; i++) expect(pickOperation(mix, () => i / 200)).not.toBe('erase');
  });

  it('makes every change body a real change that both backends accept', () => {
    expect(changeBody('identity', 3, 'run1', sequence([0.1]))).toEqual({ email: 'demo-run1-3@example.com' });
    const profile = changeBody('profile', 4, 'run1', sequence([0.1]));
    expect(profile.displayName).toBe('Demo user 4');
    expect(String(profile.avatarUrl)).toMatch(/^https:\/\//);
    const preferences = changeBody('preferences', 5, 'run1', sequence([0.99, 0.1, 0.2, 0.3, 0.4]));
    expect(preferences.locale).toMatch(/^[a-z]{2}-[A-Z]{2}$/);
    expect(['light', 'dark', 'system']).toContain(preferences.theme);
  });
});

describe('judging an answer', () => {
  it('a held write is retried, not failed; a held read would be a failure', () => {
    expect(judge('change-profile', { status: 503, errorCode: 'PROXY.WRITES_HELD' })).toBe('held');
    expect(judge('read-profile', { status: 503, errorCode: 'PROXY.WRITES_HELD' })).toBe('failed');
  });

  it('any other 5xx, a timeout answer or an unexpected 404 fails', () => {
    expect(judge('sign-up', { status: 504, errorCode: 'PROXY.UPSTREAM_TIMEOUT' })).toBe('failed');
    expect(judge('change-account', { status: 503, errorCode: 'SOMETHING.ELSE' })).toBe('failed');
    expect(judge('read-account', { status: 404 })).toBe('failed');
  });

  it('a suspended account refused at sign-in deserved it; an active one did not', () => {
    expect(judge('sign-in', { status: 401 }, false)).toBe('refused');
    expect(judge('sign-in', { status: 401 }, true)).toBe('failed');
    expect(judge('erase', { status: 204 })).toBe('ok');
  });

  it('waits as Retry-After says, bounded', () => {
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs(null)).toBe(1000);
    expect(retryAfterMs('3600')).toBe(10_000);
  });
});
