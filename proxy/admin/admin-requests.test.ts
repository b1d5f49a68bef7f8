import { AdminFailure } from './admin-failure';
import { DEFAULT_ACTOR, parseActor, parseCanary, parseListQuery, parsePromote, parseRollback } from './admin-requests';
import { loadAdminSettings } from './admin-settings';

const codeOf = (value: unknown) => (value instanceof AdminFailure ? value.code : 'accepted');

describe('promote body', () => {
  test('no body is a plain promotion to the next stage', () => {
    expect(parsePromote(undefined)).toEqual({ dryRun: false, force: false });
    expect(parsePromote({})).toEqual({ dryRun: false, force: false });
  });

  test('takes to, reason, dryRun, force and a starting percent', () => {
    expect(parsePromote({ to: 'canary', reason: ' looks good ', dryRun: true, force: false, percent: 5 })).toEqual({ to: 'canary', reason: 'looks good', dryRun: true, force: false, percent: 5 });
  });

  test('force-needs-a-reason: force without one, or with a blank one, is refused', () => {
    for (const body of [{ force: true }, { force: true, reason: '' }, { force: true, reason: '   ' }]) {
      const parsed = parsePromote(body);
      expect(parsed).toMatchObject({ code: 'ADMIN.INVALID_REQUEST', message: 'force requires a non-empty reason' });
    }
    expect(parsePromote({ force: true, reason: 'verifier down, checked by hand' })).toMatchObject({ force: true, reason: 'verifier down, checked by hand' });
  });

  test('an unknown stage is its own failure, naming the stages', () => {
    expect(parsePromote({ to: 'production' })).toMatchObject({ code: 'ADMIN.UNKNOWN_STAGE', message: expect.stringMatching(/"production".*legacy, shadow, canary, reads, writes, retired/) });
  });

  test.each([
    [[1, 2]],
    ['promote'],
    [null],
    [{ to: 3 }],
    [{ dryRun: 'yes' }],
    [{ force: 1 }],
    [{ percent: 101 }],
    [{ percent: -1 }],
    [{ percent: 2.5 }],
    [{ stage: 'shadow' }],
    [{ reason: 'x'.repeat(1001) }],
  ])('malformed body %j is refused with the reason', (body) => {
    const parsed = parsePromote(body);
    expect(codeOf(parsed)).toBe('ADMIN.INVALID_REQUEST');
    expect((parsed as AdminFailure).message.length).toBeGreaterThan(0);
  });

  test('an unknown field is named', () => {
    expect(parsePromote({ stage: 'shadow' })).toMatchObject({ message: 'unknown field "stage"' });
  });
});

describe('rollback and canary bodies', () => {
  test('rollback needs a known stage', () => {
    expect(parseRollback({ to: 'reads', reason: 'p99 doubled' })).toEqual({ to: 'reads', reason: 'p99 doubled' });
    expect(codeOf(parseRollback({}))).toBe('ADMIN.INVALID_REQUEST');
    expect(codeOf(parseRollback(undefined))).toBe('ADMIN.INVALID_REQUEST');
    expect(codeOf(parseRollback({ to: 'yesterday' }))).toBe('ADMIN.UNKNOWN_STAGE');
  });

  test('canary takes an integer percent from 0 to 100', () => {
    expect(parseCanary({ percent: 0 })).toEqual({ percent: 0 });
    expect(parseCanary({ percent: 100, reason: 'all in' })).toEqual({ percent: 100, reason: 'all in' });
    for (const body of [{}, { percent: '50' }, { percent: 50.5 }, { percent: 101 }, { percent: -1 }, undefined]) expect(codeOf(parseCanary(body))).toBe('ADMIN.INVALID_REQUEST');
  });
});

describe('listing query', () => {
  test('defaults to 50 entries of every context', () => {
    expect(parseListQuery({})).toEqual({ limit: 50 });
    expect(parseListQuery({ context: 'profile', limit: '5' })).toEqual({ context: 'profile', limit: 5 });
  });

  test('refuses a bad limit, an unknown context, a repeated key and unknown keys', () => {
    for (const limit of ['0', '501', 'ten', '-1', '1.5']) expect(codeOf(parseListQuery({ limit }))).toBe('ADMIN.INVALID_REQUEST');
    expect(codeOf(parseListQuery({ context: 'billing' }))).toBe('ADMIN.UNKNOWN_CONTEXT');
    expect(codeOf(parseListQuery({ context: ['identity', 'profile'] }))).toBe('ADMIN.INVALID_REQUEST');
    expect(codeOf(parseListQuery({ ctx: 'identity' }))).toBe('ADMIN.INVALID_REQUEST');
  });
});

describe('actor', () => {
  test('defaults when absent, trims when given', () => {
    expect(parseActor(undefined)).toBe(DEFAULT_ACTOR);
    expect(parseActor(' alice ')).toBe('alice');
  });

  test('audit-log-cannot-be-forged: control characters, blank or huge actors are refused', () => {
    for (const actor of ['', '  ', 'alice\nbob', 'a\u0000', 'x'.repeat(201)]) expect(codeOf(parseActor(actor))).toBe('ADMIN.INVALID_REQUEST');
  });
});

describe('admin settings', () => {
  test('defaults: no token, the contract\'s cdc port, documented thresholds', () => {
    expect(loadAdminSettings({})).toEqual({
      token: undefined,
      cdcUrl: 'http://127.0.0.1:8084',
      guards: { minShadowSample: 100, maxShadowMismatchRate: 0.01, maxForwardLagSeconds: 5, maxForwardBacklog: 100, maxVerifyAgeSeconds: 3600 },
      holdConfirmTimeoutMs: 15000,
      holdSweepMs: 5000,
      drainTimeoutMs: 30000,
      cdcTimeoutMs: 2000,
      initialCanaryPercent: 0,
    });
  });

  test('an empty token is no token (never an open admin API)', () => {
    expect(loadAdminSettings({ STRANGLER_ADMIN_TOKEN: '' }).token).toBeUndefined();
  });

  test('reads every variable and refuses nonsense', () => {
    const settings = loadAdminSettings({
      STRANGLER_ADMIN_TOKEN: 's3cret',
      STRANGLER_CDC_URL: 'http://cdc:9000/, http://cdc-2:9000',
      STRANGLER_GUARD_MIN_SHADOW_SAMPLE: '10',
      STRANGLER_GUARD_MAX_SHADOW_MISMATCH_RATE: '0.05',
      STRANGLER_GUARD_MAX_FORWARD_LAG_SECONDS: '2.5',
      STRANGLER_GUARD_MAX_FORWARD_BACKLOG: '0',
      STRANGLER_GUARD_MAX_VERIFY_AGE_SECONDS: '60',
      STRANGLER_ADMIN_HOLD_CONFIRM_TIMEOUT_MS: '2500',
      STRANGLER_ADMIN_DRAIN_TIMEOUT_MS: '1000',
      STRANGLER_ADMIN_HOLD_SWEEP_MS: '750',
      STRANGLER_ADMIN_CDC_TIMEOUT_MS: '500',
      STRANGLER_ADMIN_INITIAL_CANARY_PERCENT: '5',
    });
    expect(settings).toEqual({
      token: 's3cret',
      cdcUrl: 'http://cdc:9000,http://cdc-2:9000',
      guards: { minShadowSample: 10, maxShadowMismatchRate: 0.05, maxForwardLagSeconds: 2.5, maxForwardBacklog: 0, maxVerifyAgeSeconds: 60 },
      holdConfirmTimeoutMs: 2500,
      drainTimeoutMs: 1000,
      holdSweepMs: 750,
      cdcTimeoutMs: 500,
      initialCanaryPercent: 5,
    });
    expect(() => loadAdminSettings({ STRANGLER_GUARD_MAX_SHADOW_MISMATCH_RATE: '2' })).toThrow(/STRANGLER_GUARD_MAX_SHADOW_MISMATCH_RATE/);
    expect(() => loadAdminSettings({ STRANGLER_ADMIN_INITIAL_CANARY_PERCENT: '101' })).toThrow(/INITIAL_CANARY_PERCENT/);
    expect(() => loadAdminSettings({ STRANGLER_CDC_URL: 'ftp://x' })).toThrow(/STRANGLER_CDC_URL/);
  });
});
