import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isFailure } from '../../platform/failure';
import { checkPreferencesChange } from './preferences';

const outcomeOf = (timeZone: string) => {
  const outcome = checkPreferencesChange({ timeZone });
  return isFailure(outcome) ? outcome.code : outcome.timeZone;
};

describe('a time zone that is not an IANA name is never stored', () => {
  test.each(['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT+5', 'US/Eastern', 'Asia/Kolkata', 'Asia/Calcutta'])(
    'stores %p as sent, links included',
    (zone) => expect(outcomeOf(zone)).toBe(zone),
  );

  test.each(['Mars/Olympus_Mons', 'Europe/Berlin ', '+05:00', 'Z', '', 'Berlin', 'America/New York', `Etc/${'x'.repeat(61)}`])(
    'refuses %p',
    (zone) => expect(outcomeOf(zone)).toBe('PREFERENCES.INVALID_TIME_ZONE'),
  );

  test('every zone this runtime knows fits the published schema, so no accepted zone makes an off-schema event', () => {
    const schema = JSON.parse(readFileSync(path.join(__dirname, '../../../schemas/events/preferences/preferences-changed.v1.schema.json'), 'utf8'));
    const { pattern, maxLength } = schema.properties.data.properties.timeZone;
    const misfits = Intl.supportedValuesOf('timeZone').filter((zone) => !new RegExp(pattern).test(zone) || zone.length > maxLength);
    expect(misfits).toEqual([]);
  });
});
