import { z } from 'zod';
import { Failure } from '../../platform/failure';
import { EMAIL_SYNTAX, emailAddress, signInEmail } from './email-address';

const codeOf = (value: unknown) => (value instanceof Failure ? value.code : undefined);

describe('emailAddress', () => {
  test('syntax never drifts from the zod rule legacy checks with', () => {
    expect(EMAIL_SYNTAX.source).toBe(z.regexes.email.source);
    expect(EMAIL_SYNTAX.flags).toBe(z.regexes.email.flags);
  });

  test('mixed case and stray spaces are never stored: the address is trimmed and lower-cased', () => {
    expect(emailAddress('  Ada.Lovelace@Example.COM \t')).toBe('ada.lovelace@example.com');
  });

  test.each(['ada@example.com', 'ada+tag@mail.example.co.uk', "o'brien@example.ie", 'a_b-c@sub-domain.example.org'])(
    'a valid address %p is never refused',
    (email) => expect(emailAddress(email)).toBe(email),
  );

  test.each([
    ['no @', 'ada.example.com'],
    ['two @', 'ada@@example.com'],
    ['two @ apart', 'ada@home@example.com'],
    ['an inner space', 'ada lovelace@example.com'],
    ['no top-level domain', 'ada@localhost'],
    ['nothing', ''],
    ['only spaces', '   '],
    ['a leading dot', '.ada@example.com'],
    ['a double dot', 'ada..lovelace@example.com'],
    ['a non-ASCII letter', 'adä@example.com'],
  ])('an address with %s is never stored', (_, email) => {
    expect(codeOf(emailAddress(email))).toBe('IDENTITY.INVALID_EMAIL');
  });

  test('an address over 254 characters is never stored, one of exactly 254 is', () => {
    const local = 'a'.repeat(64);
    expect(codeOf(emailAddress(`${local}@${'b'.repeat(186)}.com`))).toBe('IDENTITY.INVALID_EMAIL');
    expect(emailAddress(`${local}@${'b'.repeat(185)}.com`)).toHaveLength(254);
  });

  test('surrounding spaces do not count toward the 254 characters', () => {
    expect(emailAddress(`  ${'a'.repeat(64)}@${'b'.repeat(185)}.com  `)).toHaveLength(254);
  });
});

describe('signInEmail', () => {
  test('a sign-in typed in another case or with spaces still finds the stored address', () => {
    expect(signInEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });

  test('a tab around the address never finds an account legacy would not find (btrim drops spaces only)', () => {
    expect(signInEmail('\tada@example.com')).toBe('\tada@example.com');
  });
});
