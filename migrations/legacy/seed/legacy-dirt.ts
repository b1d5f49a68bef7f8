import type { Faker } from '@faker-js/faker';

/** How often each kind of legacy dirt is planted, per user. */
export const DIRT_RATES = {
  invalidEmail: 0.005,
  untidyEmail: 0.05,
  unknownStatus: 0.005,
  blankLocale: 0.01,
  nullPreferences: 0.01,
} as const;

export const UNKNOWN_STATUS_CODES = ['X', 'P'] as const;

/** No @, two @, or a space inside: addresses an old signup form let through. */
export function invalidEmail(rng: Faker, localPart: string, domain: string): string {
  switch (rng.number.int({ min: 0, max: 2 })) {
    case 0:
      return `${localPart}${domain}`;
    case 1:
      return `${localPart}@@${domain}`;
    default:
      return `${localPart.replace(/(\d+)$/, ' $1')}@${domain}`;
  }
}

/** Mixed case and/or stray leading/trailing spaces: the same address as far as the unique index cares. */
export function untidyEmail(rng: Faker, email: string): string {
  // btrim() strips only spaces, so a tab would make a different address: plant spaces only.
  const pad = () => ' '.repeat(rng.number.int({ min: 1, max: 2 }));
  const capitalized = () => email.replace(/(^|[._@])([a-z])/g, (_, mark: string, letter: string) => mark + letter.toUpperCase());
  switch (rng.number.int({ min: 0, max: 4 })) {
    case 0:
      return email.toUpperCase();
    case 1:
      return capitalized();
    case 2:
      return `${pad()}${email}`;
    case 3:
      return `${email}${pad()}`;
    default:
      return `${pad()}${capitalized()}${pad()}`;
  }
}

/** '' or a few spaces, as an old settings form saved an untouched field. */
export function blankLocale(rng: Faker): string {
  return rng.helpers.arrayElement(['', ' ', '   ']);
}
