import {
  Faker, base, de, en, en_AU, en_GB, en_IN, en_US, es, es_MX, fr, it, ja, ko, nl, pl, pt_BR, sv, zh_CN,
  type LocaleDefinition,
} from '@faker-js/faker';
import { DIRT_RATES, UNKNOWN_STATUS_CODES, blankLocale, invalidEmail, untidyEmail } from './legacy-dirt';

/** One `public.users` row as the monolith would have stored it (usr_id comes from the sequence). */
export interface LegacyUserRow {
  readonly email_addr: string;
  readonly pwd_hash: string;
  readonly acct_stat_cd: string;
  readonly disp_nm: string | null;
  readonly bio_txt: string | null;
  readonly avatar_url: string | null;
  readonly pref_lang: string | null;
  readonly pref_tz: string | null;
  readonly email_optin_flg: string | null;
  readonly theme_cd: string | null;
  readonly last_login_ts: Date | null;
  readonly created_ts: Date;
  readonly updated_ts: Date;
}

export type LegacyDirt = 'invalidEmail' | 'untidyEmail' | 'unknownStatus' | 'blankLocale' | 'nullPreferences' | 'largeBio';

export interface GeneratedLegacyUser {
  readonly row: LegacyUserRow;
  readonly dirt: readonly LegacyDirt[];
}

interface Region {
  readonly posix: string;
  readonly weight: number;
  readonly names: LocaleDefinition;
  readonly zones: readonly string[];
}

// Asia/Kolkata and friends are IANA aliases missing from Intl.supportedValuesOf: realistic and a good test.
const REGIONS: readonly Region[] = [
  { posix: 'en_US', weight: 30, names: en_US, zones: ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Phoenix'] },
  { posix: 'en_GB', weight: 8, names: en_GB, zones: ['Europe/London'] },
  { posix: 'de_DE', weight: 10, names: de, zones: ['Europe/Berlin'] },
  { posix: 'fr_FR', weight: 8, names: fr, zones: ['Europe/Paris'] },
  { posix: 'es_ES', weight: 5, names: es, zones: ['Europe/Madrid', 'Atlantic/Canary'] },
  { posix: 'es_MX', weight: 3, names: es_MX, zones: ['America/Mexico_City'] },
  { posix: 'pt_BR', weight: 7, names: pt_BR, zones: ['America/Sao_Paulo', 'America/Manaus'] },
  { posix: 'it_IT', weight: 4, names: it, zones: ['Europe/Rome'] },
  { posix: 'nl_NL', weight: 3, names: nl, zones: ['Europe/Amsterdam'] },
  { posix: 'sv_SE', weight: 2, names: sv, zones: ['Europe/Stockholm'] },
  { posix: 'pl_PL', weight: 3, names: pl, zones: ['Europe/Warsaw'] },
  { posix: 'ja_JP', weight: 6, names: ja, zones: ['Asia/Tokyo'] },
  { posix: 'ko_KR', weight: 2, names: ko, zones: ['Asia/Seoul'] },
  { posix: 'zh_CN', weight: 3, names: zh_CN, zones: ['Asia/Shanghai'] },
  { posix: 'en_IN', weight: 4, names: en_IN, zones: ['Asia/Kolkata', 'Asia/Calcutta'] },
  { posix: 'en_AU', weight: 2, names: en_AU, zones: ['Australia/Sydney', 'Australia/Perth'] },
];

const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com', 'corp.example.org'];

// Fixed so the same seed yields the same timestamps whenever it runs; all seeded times lie before it.
const SEED_CLOCK = new Date('2026-11-01T00:00:00Z');
const OLDEST_SIGNUP = new Date('2012-01-01T00:00:00Z');

function asciiSlug(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
}

/**
 * The users of a legacy database, in usr_id order: an endless, deterministic stream for one seed.
 * `passwordHashes[i % length]` is user i's hash (see password-pool.ts).
 */
export function* generateLegacyUsers(seed: number, passwordHashes: readonly string[]): Generator<GeneratedLegacyUser> {
  const rng = new Faker({ locale: [en, base] });
  rng.seed(seed);
  const regional = REGIONS.map((region, k) => {
    const faker = new Faker({ locale: [region.names, en, base] });
    faker.seed([seed, k + 1]);
    return { region, faker };
  });
  const weighted = regional.map((entry) => ({ weight: entry.region.weight, value: entry }));

  for (let index = 0; ; index++) {
    const { region, faker } = rng.helpers.weightedArrayElement(weighted);
    const dirt: LegacyDirt[] = [];
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();

    const email = emailFor(rng, firstName, lastName, index + 1, dirt);
    const createdTs = rng.date.between({ from: OLDEST_SIGNUP, to: SEED_CLOCK.getTime() - 86_400_000 });
    const status = statusCode(rng, dirt);
    const preferences = preferencesFor(rng, region, dirt);

    yield {
      dirt,
      row: {
        email_addr: email,
        pwd_hash: passwordHashes[index % passwordHashes.length] ?? '',
        acct_stat_cd: status,
        disp_nm: rng.datatype.boolean(0.04) ? null : faker.person.fullName({ firstName, lastName }),
        bio_txt: bioFor(rng, faker, dirt),
        avatar_url: rng.datatype.boolean(0.35) ? null : rng.image.avatar(),
        ...preferences,
        last_login_ts: rng.datatype.boolean(0.07) ? null : rng.date.between({ from: createdTs, to: SEED_CLOCK }),
        created_ts: createdTs,
        updated_ts: rng.date.between({ from: createdTs, to: SEED_CLOCK }),
      },
    };
  }
}

function emailFor(rng: Faker, firstName: string, lastName: string, serial: number, dirt: LegacyDirt[]): string {
  let first = asciiSlug(firstName);
  let last = asciiSlug(lastName);
  if (!first || !last) {
    // CJK names have no ASCII spelling here; such users signed up with a romanized address.
    first = asciiSlug(rng.person.firstName()) || 'user';
    last = asciiSlug(rng.person.lastName()) || 'name';
  }
  const namePart = rng.helpers.arrayElement([`${first}.${last}`, `${first}${last}`, `${first[0]}${last}`, `${first}_${last}`]);
  // The name part ends in a letter, so the trailing serial alone keeps every address unique.
  const localPart = `${namePart}${serial}`;
  const domain = rng.helpers.arrayElement(EMAIL_DOMAINS);
  const roll = rng.number.float();
  if (roll < DIRT_RATES.invalidEmail) {
    dirt.push('invalidEmail');
    return invalidEmail(rng, localPart, domain);
  }
  const email = `${localPart}@${domain}`;
  if (roll < DIRT_RATES.invalidEmail + DIRT_RATES.untidyEmail) {
    dirt.push('untidyEmail');
    return untidyEmail(rng, email);
  }
  return email;
}

function statusCode(rng: Faker, dirt: LegacyDirt[]): string {
  const roll = rng.number.float();
  if (roll < DIRT_RATES.unknownStatus) {
    dirt.push('unknownStatus');
    return rng.helpers.arrayElement(UNKNOWN_STATUS_CODES);
  }
  if (roll < 0.06) return 'S';
  if (roll < 0.115) return 'C';
  return 'A';
}

function preferencesFor(rng: Faker, region: Region, dirt: LegacyDirt[]) {
  const roll = rng.number.float();
  if (roll < DIRT_RATES.nullPreferences) {
    dirt.push('nullPreferences');
    return { pref_lang: null, pref_tz: null, email_optin_flg: null, theme_cd: null };
  }
  let prefLang = region.posix;
  if (roll < DIRT_RATES.nullPreferences + DIRT_RATES.blankLocale) {
    dirt.push('blankLocale');
    prefLang = blankLocale(rng);
  }
  return {
    pref_lang: prefLang,
    pref_tz: rng.datatype.boolean(0.06) ? 'UTC' : rng.helpers.arrayElement(region.zones),
    email_optin_flg: rng.datatype.boolean(0.35) ? 'Y' : 'N',
    theme_cd: rng.helpers.weightedArrayElement([
      { weight: 45, value: 'LIGHT' },
      { weight: 35, value: 'DARK' },
      { weight: 20, value: 'SYS' },
    ]),
  };
}

const LARGE_BIO_RATE = 0.01;

function bioFor(rng: Faker, faker: Faker, dirt: LegacyDirt[]): string | null {
  const roll = rng.number.float();
  if (roll < LARGE_BIO_RATE) {
    dirt.push('largeBio');
    return largeBio(rng);
  }
  if (roll < 0.11) return null;
  if (roll < 0.16) return '';
  return rng.datatype.boolean() ? faker.person.bio() : faker.lorem.sentence({ min: 4, max: 18 });
}

/** 3-16 KB: past PostgreSQL's ~2 KB TOAST threshold, so CDC meets out-of-line values. */
function largeBio(rng: Faker): string {
  const target = rng.number.int({ min: 3 * 1024, max: 16 * 1024 });
  const paragraphs: string[] = [];
  let length = 0;
  while (length < target) {
    const paragraph = [rng.person.bio(), rng.company.catchPhrase(), rng.hacker.phrase(), rng.lorem.paragraph({ min: 3, max: 8 })].join(' ');
    paragraphs.push(paragraph);
    length += paragraph.length + 2;
  }
  return paragraphs.join('\n\n').slice(0, target);
}
