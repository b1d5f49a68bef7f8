import pino from 'pino';
import { ExistenceGate } from './existence-gate';
import type { SharedPins } from './shared-pins';

const logger = pino({ level: 'silent' });

/** A stand-in for the control plane's gates: what one instance records, another reads. */
class FakeGates {
  gates = new Map<string, boolean>();
  async gate(userId: string, exists: boolean) {
    this.gates.set(userId, exists);
  }
  async gateOf(userId: string) {
    return this.gates.get(userId);
  }
  async ungate(userId: string, exists: boolean) {
    if (this.gates.get(userId) === exists) this.gates.delete(userId);
  }
  async clearGates() {
    this.gates.clear();
  }
}

function gateOver(answers: boolean[], { maxWaitMs = 1_000, shared = new FakeGates() } = {}) {
  const asked: string[] = [];
  const gate = new ExistenceGate({
    existence: { legacyHasUser: async (id) => (asked.push(id), answers.length > 1 ? answers.shift()! : answers[0]!) },
    shared: shared as unknown as SharedPins,
    logger,
    pollMs: 1,
    maxWaitMs,
    maxUsers: 2,
  });
  return { gate, asked, shared };
}

test('an ungated user is not gated, here or elsewhere', async () => {
  const { gate, asked } = gateOver([false]);
  expect(await gate.gateOf('7')).toBeUndefined();
  expect(asked).toEqual([]);
});

test('a newcomer waits until legacy has the row, then is no longer gated on any instance', async () => {
  const { gate, asked, shared } = gateOver([false, false, true]);
  await gate.expect('1000000000001', true);
  const other = gateOver([true], { shared }).gate;
  expect(await other.gateOf('1000000000001')).toBe(true);
  expect(await gate.waitFor('1000000000001', true)).toBe('agreed');
  expect(asked).toHaveLength(3);
  expect(await gate.gateOf('1000000000001')).toBeUndefined();
  expect(await other.gateOf('1000000000001')).toBeUndefined();
});

test('an erased user waits until legacy has dropped the row', async () => {
  const { gate } = gateOver([true, false]);
  await gate.expect('42', false);
  expect(await gate.waitFor('42', false)).toBe('agreed');
});

test('the wait is bounded: a reverse sync that never catches up releases the request after maxWaitMs, still gated', async () => {
  const { gate } = gateOver([false], { maxWaitMs: 20 });
  await gate.expect('9', true);
  expect(await gate.waitFor('9', true)).toBe('timed-out');
  expect(await gate.gateOf('9')).toBe(true);
});

test('memory stays bounded here: the oldest gated user is forgotten first (the control plane still has it)', async () => {
  const { gate, shared } = gateOver([true]);
  await gate.expect('1', true);
  await gate.expect('2', true);
  await gate.expect('3', true);
  shared.gates.delete('1');
  expect([await gate.gateOf('1'), await gate.gateOf('2'), await gate.gateOf('3')]).toEqual([undefined, true, true]);
});
