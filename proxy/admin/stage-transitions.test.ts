import { planCanary, planPromotion, planRollback, STAGES, type Stage, type Transition, type TransitionRefusal } from './stage-transitions';

const at = (stage: Stage, canaryPercent = 0) => ({ stage, canaryPercent });
const INITIAL = 0;

describe('promotion', () => {
  test.each([
    ['legacy', 'shadow'],
    ['shadow', 'canary'],
    ['canary', 'reads'],
    ['reads', 'writes'],
    ['writes', 'retired'],
  ] as const)('moves exactly one stage forward: %s → %s, with or without naming it', (from, to) => {
    expect(planPromotion(at(from), {}, INITIAL)).toMatchObject({ action: 'promote', to: { stage: to } });
    expect(planPromotion(at(from), { to }, INITIAL)).toMatchObject({ action: 'promote', to: { stage: to } });
  });

  test('never-skips-a-stage: every target but the next one is refused, with the reason', () => {
    for (const from of STAGES) {
      for (const to of STAGES) {
        const plan = planPromotion(at(from), { to }, INITIAL);
        if (STAGES.indexOf(to) === STAGES.indexOf(from) + 1) continue;
        expect(plan).toMatchObject({ refused: 'ADMIN.INVALID_TRANSITION' });
        expect((plan as TransitionRefusal).message).toContain(from === 'retired' ? 'last stage' : to);
      }
    }
  });

  test('retired is the end: nothing to promote to', () => {
    expect(planPromotion(at('retired'), {}, INITIAL)).toMatchObject({ refused: 'ADMIN.INVALID_TRANSITION', message: expect.stringMatching(/last stage/) });
  });

  test('legacy loses the writes exactly at reads → writes, and the forward sync drains', () => {
    const flips = STAGES.slice(0, -1).map((from) => [from, (planPromotion(at(from), {}, INITIAL) as Transition).writesFlip]);
    expect(flips).toEqual([
      ['legacy', null],
      ['shadow', null],
      ['canary', null],
      ['reads', { losing: 'legacy', drain: 'forward' }],
      ['writes', null],
    ]);
  });

  test('entering canary starts at the percentage given, else at the initial one', () => {
    expect(planPromotion(at('shadow', 40), {}, 5)).toMatchObject({ to: { stage: 'canary', canaryPercent: 5 } });
    expect(planPromotion(at('shadow'), { percent: 10 }, 5)).toMatchObject({ to: { stage: 'canary', canaryPercent: 10 } });
  });

  test('leaving canary keeps the percentage; a percentage for another stage is refused', () => {
    expect(planPromotion(at('canary', 30), {}, INITIAL)).toMatchObject({ from: { canaryPercent: 30 }, to: { stage: 'reads', canaryPercent: 30 } });
    expect(planPromotion(at('legacy'), { percent: 10 }, INITIAL)).toMatchObject({ refused: 'ADMIN.INVALID_REQUEST' });
  });
});

describe('rollback', () => {
  test('goes to any earlier stage in one step', () => {
    for (const [i, from] of STAGES.entries()) {
      for (const to of STAGES.slice(0, i)) expect(planRollback(at(from), { to }, INITIAL)).toMatchObject({ action: 'rollback', from: { stage: from }, to: { stage: to } });
    }
  });

  test('never goes forward or stays: the same or a later stage is refused', () => {
    for (const [i, from] of STAGES.entries()) {
      for (const to of STAGES.slice(i)) expect(planRollback(at(from), { to }, INITIAL)).toMatchObject({ refused: 'ADMIN.INVALID_TRANSITION' });
    }
  });

  test('the new service loses the writes exactly when leaving writes or retired for reads or earlier, and the reverse sync drains', () => {
    for (const [i, from] of STAGES.entries()) {
      for (const to of STAGES.slice(0, i)) {
        const flip = (planRollback(at(from), { to }, INITIAL) as Transition).writesFlip;
        const crosses = (from === 'writes' || from === 'retired') && to !== 'writes';
        expect({ from, to, flip }).toEqual({ from, to, flip: crosses ? { losing: 'new', drain: 'reverse' } : null });
      }
    }
  });

  test('back into canary starts at the percentage given, else the initial one', () => {
    expect(planRollback(at('reads', 100), { to: 'canary' }, 0)).toMatchObject({ to: { stage: 'canary', canaryPercent: 0 } });
    expect(planRollback(at('writes'), { to: 'canary', percent: 25 }, 0)).toMatchObject({ to: { stage: 'canary', canaryPercent: 25 } });
    expect(planRollback(at('writes'), { to: 'legacy', percent: 25 }, 0)).toMatchObject({ refused: 'ADMIN.INVALID_REQUEST' });
  });
});

describe('canary percentage', () => {
  test('changes in canary', () => {
    expect(planCanary(at('canary', 10), 50)).toEqual({ stage: 'canary', canaryPercent: 50 });
  });

  test.each(STAGES.filter((stage) => stage !== 'canary'))('is refused in %s, where nobody reads it', (stage) => {
    expect(planCanary(at(stage), 50)).toMatchObject({ refused: 'ADMIN.NOT_IN_CANARY', message: expect.stringContaining(stage) });
  });
});
