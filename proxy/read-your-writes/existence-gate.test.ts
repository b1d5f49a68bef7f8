import pino from 'pino';
import { ExistenceGate } from './existence-gate';

const logger = pino({ level: 'silent' });

function gateOver(answers: boolean[], maxWaitMs = 1_000) {
  const asked: string[] = [];
  const gate = new ExistenceGate({
    existence: { legacyHasUser: async (id) => (asked.push(id), answers.length > 1 ? answers.shift()! : answers[0]!) },
    logger,
    pollMs: 1,
    maxWaitMs,
    maxUsers: 2,
  });
  return { gate, asked };
}

test('an ungated user never waits nor asks cdc', async () => {
  const { gate, asked } = gateOver([false]);
  expect(gate.isGated('7')).toBe(false);
  expect(await gate.waitFor('7')).toBe('agreed');
  expect(asked).toEqual([]);
});

test('a newcomer waits until legacy has the row, then is no longer gated', async () => {
  const { gate, asked } = gateOver([false, false, true]);
  gate.expect('1000000000001', true);
  expect(await gate.waitFor('1000000000001')).toBe('agreed');
  expect(asked).toHaveLength(3);
  expect(gate.isGated('1000000000001')).toBe(false);
});

test('an erased user waits until legacy has dropped the row', async () => {
  const { gate } = gateOver([true, false]);
  gate.expect('42', false);
  expect(await gate.waitFor('42')).toBe('agreed');
});

test('the wait is bounded: a reverse sync that never catches up releases the request after maxWaitMs, still gated', async () => {
  const { gate } = gateOver([false], 20);
  gate.expect('9', true);
  expect(await gate.waitFor('9')).toBe('timed-out');
  expect(gate.isGated('9')).toBe(true);
});

test('memory stays bounded: the oldest gated user is forgotten first', () => {
  const { gate } = gateOver([true]);
  gate.expect('1', true);
  gate.expect('2', true);
  gate.expect('3', true);
  expect([gate.isGated('1'), gate.isGated('2'), gate.isGated('3')]).toEqual([false, true, true]);
});
