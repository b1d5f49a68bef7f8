import { Failure, isFailure } from '../../platform/failure';
import { change, erase, register, signIn, type Account, type AccountChange } from './account';
import type { AccountStateEvent } from './account-events';
import { emailAddress, type EmailAddress } from './email-address';

const registeredAt = new Date('2026-11-21T10:00:00.000Z');
const later = new Date('2026-11-21T11:00:00.000Z');
const codeOf = (value: unknown) => (value instanceof Failure ? value.code : undefined);

function email(typed: string): EmailAddress {
  const address = emailAddress(typed);
  if (isFailure(address)) throw new Error(`test email ${typed} is invalid`);
  return address;
}

function registered(): Account {
  return register({ id: 1_000_000_000_001, email: email('ada@example.com'), passwordHash: '$2b$04$hash' }, registeredAt).account;
}

function changed(outcome: AccountChange | Failure): AccountChange {
  if (isFailure(outcome)) throw new Error(`unexpected failure ${outcome.code}`);
  return outcome;
}

function inStatus(status: Account['status']): Account {
  return { ...registered(), status, version: 7 };
}

describe('register', () => {
  test('a new account starts active at version 1, never signed in, with one AccountRegistered', () => {
    const { account, events } = register({ id: 42, email: email('Ada@Example.com'), passwordHash: 'hash' }, registeredAt);
    const state = { id: 42, email: 'ada@example.com', passwordHash: 'hash', status: 'active', createdAt: registeredAt, lastLoginAt: null };
    expect(account).toEqual({ ...state, version: 1 });
    expect(events).toEqual([{ type: 'identity.AccountRegistered', aggregateId: 42, version: 1, occurredAt: registeredAt, state }]);
  });
});

describe('change', () => {
  test('an email change is published with the new state at the next version', () => {
    const { version: _, ...before } = registered();
    const { account, events } = changed(change(registered(), { email: email('grace@example.com') }, later));
    expect(account).toMatchObject({ email: 'grace@example.com', version: 2 });
    expect(events).toEqual([
      { type: 'identity.EmailChanged', aggregateId: account.id, version: 2, occurredAt: later, state: { ...before, email: 'grace@example.com' } },
    ]);
  });

  test('email and status changed together give two events, v+1 then v+2, each with the state after it', () => {
    const { account, events } = changed(change(registered(), { email: email('grace@example.com'), status: 'suspended' }, later));
    expect(account).toMatchObject({ email: 'grace@example.com', status: 'suspended', version: 3 });
    const [emailChanged, statusChanged] = events as AccountStateEvent[];
    expect([emailChanged?.type, emailChanged?.version, emailChanged?.state.email, emailChanged?.state.status]).toEqual(['identity.EmailChanged', 2, 'grace@example.com', 'active']);
    expect([statusChanged?.type, statusChanged?.version, statusChanged?.state.status]).toEqual(['identity.StatusChanged', 3, 'suspended']);
    expect(events).toHaveLength(2);
  });

  test('a no-op change never bumps the version or publishes an event', () => {
    const account = registered();
    for (const requested of [{}, { email: account.email }, { status: account.status }, { email: account.email, status: account.status }]) {
      expect(change(account, requested, later)).toEqual({ account, events: [] });
    }
  });

  test('the same email in another case is a no-op, never an EmailChanged', () => {
    expect(changed(change(registered(), { email: email(' ADA@example.COM ') }, later)).events).toEqual([]);
  });

  test('closed account never reopens, and the email of a refused change never changes on its own', () => {
    const closed = inStatus('closed');
    expect(codeOf(change(closed, { status: 'active' }, later))).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
    expect(codeOf(change(closed, { status: 'suspended', email: email('fresh@example.com') }, later))).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
  });

  test('a closed account may still change its email (only its status is final)', () => {
    expect(changed(change(inStatus('closed'), { email: email('fresh@example.com') }, later)).account).toMatchObject({ status: 'closed', version: 8 });
  });

  test('suspension can be lifted and either status can be closed, one version each', () => {
    const suspended = changed(change(registered(), { status: 'suspended' }, later)).account;
    const reactivated = changed(change(suspended, { status: 'active' }, later)).account;
    const closed = changed(change(reactivated, { status: 'closed' }, later)).account;
    expect([suspended, reactivated, closed].map((account) => [account.status, account.version])).toEqual([['suspended', 2], ['active', 3], ['closed', 4]]);
    expect(changed(change(suspended, { status: 'closed' }, later)).account.status).toBe('closed');
  });

  test('a change never mutates the account it started from', () => {
    const account = registered();
    const before = structuredClone(account);
    changed(change(account, { email: email('grace@example.com'), status: 'closed' }, later));
    expect(account).toEqual(before);
  });
});

describe('signIn', () => {
  test('a sign-in records lastLoginAt in a SignedIn event at the next version', () => {
    const { account, events } = changed(signIn(registered(), later));
    expect(account).toMatchObject({ lastLoginAt: later, version: 2 });
    expect(events).toEqual([expect.objectContaining({ type: 'identity.SignedIn', version: 2, occurredAt: later })]);
    expect((events[0] as AccountStateEvent).state.lastLoginAt).toEqual(later);
  });

  test.each(['suspended', 'closed'] as const)('a %s account never signs in, and is refused like a wrong password', (status) => {
    expect(codeOf(signIn(inStatus(status), later))).toBe('IDENTITY.INVALID_CREDENTIALS');
  });
});

describe('erase', () => {
  test('erasure is the next version and carries no state, in every status', () => {
    for (const status of ['active', 'suspended', 'closed'] as const) {
      expect(erase(inStatus(status), later)).toEqual({ type: 'identity.AccountErased', aggregateId: 1_000_000_000_001, version: 8, occurredAt: later });
    }
  });
});
