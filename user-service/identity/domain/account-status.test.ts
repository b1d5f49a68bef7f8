import { Failure } from '../../platform/failure';
import { accountStatus, checkStatusTransition, type AccountStatus } from './account-status';

const codeOf = (value: unknown) => (value instanceof Failure ? value.code : undefined);
const statuses: AccountStatus[] = ['active', 'suspended', 'closed'];

describe('accountStatus', () => {
  test.each(statuses)('the status %p is never refused', (status) => {
    expect(accountStatus(status)).toBe(status);
  });

  test.each(['Active', 'ACTIVE', 'unknown', 'deleted', '', 'constructor', 'toString', '__proto__'])(
    'the made-up status %p never passes as a status',
    (status) => expect(codeOf(accountStatus(status))).toBe('IDENTITY.INVALID_STATUS'),
  );
});

describe('checkStatusTransition', () => {
  const allowed = new Set(['active>suspended', 'suspended>active', 'active>closed', 'suspended>closed']);

  test.each(statuses.flatMap((from) => statuses.filter((to) => to !== from).map((to) => [from, to] as const)))(
    '%s -> %s follows the lifecycle',
    (from, to) => {
      const refused = checkStatusTransition(from, to);
      if (allowed.has(`${from}>${to}`)) expect(refused).toBeUndefined();
      else expect(codeOf(refused)).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
    },
  );

  test('closed account never reopens or gets suspended', () => {
    expect(codeOf(checkStatusTransition('closed', 'active'))).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
    expect(codeOf(checkStatusTransition('closed', 'suspended'))).toBe('IDENTITY.INVALID_STATUS_TRANSITION');
  });

  test('repeating the current status is never refused as a transition', () => {
    for (const status of statuses) expect(checkStatusTransition(status, status)).toBeUndefined();
  });
});
