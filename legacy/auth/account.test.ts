import { Failure } from '../http/failure';
import {
  accountFromRow, checkEmail, checkNewPassword, checkStatusTransition, codeForStatus, parseStatus, statusFromCode,
  type AccountStatus,
} from './account';

function failureCode(value: unknown): string | undefined {
  return value instanceof Failure ? value.code : undefined;
}

describe('account status codes', () => {
  test('each stored code maps to its API status and back', () => {
    for (const [code, status] of [['A', 'active'], ['S', 'suspended'], ['C', 'closed']] as const) {
      expect(statusFromCode(code)).toBe(status);
      expect(codeForStatus(status)).toBe(code);
    }
  });

  test.each(['X', 'P', '', ' ', 'a', 'toString', '__proto__'])('the dirty stored code %p reads as unknown', (code) => {
    expect(statusFromCode(code)).toBe('unknown');
  });

  test.each(['Active', 'ACTIVE', 'unknown', 'deleted', '', 'constructor', '__proto__'])('the status %p is refused', (status) => {
    expect(failureCode(parseStatus(status))).toBe('IDENTITY.INVALID_STATUS');
  });
});

describe('account status transitions', () => {
  const statuses: AccountStatus[] = ['active', 'suspended', 'closed'];
  const allowed = new Set(['active>suspended', 'suspended>active', 'active>closed', 'suspended>closed']);

  test.each(statuses.flatMap((from) => statuses.filter((to) => to !== from).map((to) => [from, to] as const)))(
    '%s -> %s follows the lifecycle',
    (from, to) => {
      const refused = checkStatusTransition(from, to);
      if (allowed.has(`${from}>${to}`)) expect(refused).toBeUndefined();
      else expect(failureCode(refused)).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
    },
  );

  test('a closed account is never reopened or suspended', () => {
    expect(failureCode(checkStatusTransition('closed', 'active'))).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
    expect(failureCode(checkStatusTransition('closed', 'suspended'))).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
  });

  test('repeating the current status is a no-op, not a refused transition', () => {
    for (const status of statuses) expect(checkStatusTransition(status, status)).toBeUndefined();
  });

  test('an account with an unknown legacy code can be closed but not activated', () => {
    expect(checkStatusTransition('unknown', 'closed')).toBeUndefined();
    expect(failureCode(checkStatusTransition('unknown', 'active'))).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
  });
});

describe('checkEmail', () => {
  test('stray spaces are trimmed but case is kept as typed', () => {
    expect(checkEmail('  Ada.Lovelace@Example.COM ')).toBe('Ada.Lovelace@Example.COM');
  });

  test.each(['ada@example.com', 'ada+tag@mail.example.co.uk', "o'brien@example.ie", 'a_b-c@sub-domain.example.org'])(
    'accepts %p',
    (email) => expect(checkEmail(email)).toBe(email),
  );

  test.each([
    ['no @', 'ada.example.com'],
    ['two @', 'ada@@example.com'],
    ['two @ apart', 'ada@home@example.com'],
    ['inner space', 'ada lovelace@example.com'],
    ['no top-level domain', 'ada@localhost'],
    ['empty', ''],
    ['only spaces', '   '],
    ['leading dot', '.ada@example.com'],
    ['double dot', 'ada..lovelace@example.com'],
    ['too long', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`],
  ])('refuses an email with %s', (_, email) => {
    expect(failureCode(checkEmail(email))).toBe('IDENTITY.INVALID_EMAIL');
  });
});

describe('checkNewPassword', () => {
  test('accepts 8 characters and exactly 72 bytes', () => {
    expect(checkNewPassword('12345678')).toBeUndefined();
    expect(checkNewPassword('x'.repeat(72))).toBeUndefined();
  });

  test('refuses 7 characters', () => {
    expect(failureCode(checkNewPassword('1234567'))).toBe('IDENTITY.WEAK_PASSWORD');
  });

  test('refuses 73 bytes, which bcrypt would silently truncate', () => {
    expect(failureCode(checkNewPassword('x'.repeat(73)))).toBe('IDENTITY.WEAK_PASSWORD');
  });

  test('counts bytes, not characters, for the upper bound', () => {
    expect(failureCode(checkNewPassword('é'.repeat(37)))).toBe('IDENTITY.WEAK_PASSWORD');
    expect(checkNewPassword('é'.repeat(36))).toBeUndefined();
  });

  test('counts characters, not UTF-16 units, for the lower bound', () => {
    // Four emoji are eight UTF-16 units but only four characters.
    expect(failureCode(checkNewPassword('🔑🔑🔑🔑'))).toBe('IDENTITY.WEAK_PASSWORD');
  });
});

describe('accountFromRow', () => {
  test('maps a row to the API shape with numeric id and ISO UTC timestamps', () => {
    expect(
      accountFromRow({
        usr_id: '9007199254740991',
        email_addr: '  Mixed@Example.com ',
        acct_stat_cd: 'S',
        created_ts: new Date('2020-01-02T03:04:05.678Z'),
        last_login_ts: null,
      }),
    ).toEqual({
      id: 9007199254740991,
      email: '  Mixed@Example.com ',
      status: 'suspended',
      createdAt: '2020-01-02T03:04:05.678Z',
      lastLoginAt: null,
    });
  });
});
