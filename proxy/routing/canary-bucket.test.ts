import { canaryBucket, inCanary } from './canary-bucket';

describe('canary bucket', () => {
  const users = Array.from({ length: 5_000 }, (_, i) => String(i + 1));

  test('user-leaves-canary-as-percentage-rises never happens: whoever is in at p% stays in at every higher percentage', () => {
    const leavers: string[] = [];
    for (const user of users.slice(0, 1_000)) {
      let wasIn = false;
      for (let percent = 0; percent <= 100; percent++) {
        const isIn = inCanary(user, percent);
        if (wasIn && !isIn) leavers.push(`${user} at ${percent}%`);
        wasIn = isIn;
      }
    }
    expect(leavers).toEqual([]);
  });

  test('0% serves nobody from the new side, 100% everybody', () => {
    expect(users.filter((u) => inCanary(u, 0))).toEqual([]);
    expect(users.filter((u) => inCanary(u, 100))).toHaveLength(users.length);
  });

  test('the bucket is a pure function of the user (same answer every time, sequential ids spread evenly)', () => {
    expect(users.map(canaryBucket)).toEqual(users.map(canaryBucket));
    const atTen = users.filter((u) => inCanary(u, 10)).length / users.length;
    expect(atTen).toBeGreaterThan(0.08);
    expect(atTen).toBeLessThan(0.12);
  });
});
