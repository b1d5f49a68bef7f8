import errorCatalogue from '../../schemas/public-api/error-codes.json';
import { failureStatus } from './failure';

describe('legacy failure codes', () => {
  test('a code or status drifting from the public error catalogue is caught', () => {
    const published = Object.fromEntries(Object.entries(errorCatalogue.codes).map(([code, entry]) => [code, entry.status]));
    expect(failureStatus).toEqual(published);
  });
});
