import { CommanderError } from 'commander';
import { buildProgram, EXIT, parseIds, type CanaryRequest, type DataVerbs, type PromoteRequest, type ResyncRequest, type RollbackRequest, type StageVerbs, type StatusRequest, type VerifyRequest } from './program';

function harness(verifyExit: number = EXIT.ok, stageExit: number = EXIT.ok) {
  const calls: { verify: VerifyRequest[]; resync: ResyncRequest[]; status: StatusRequest[]; promote: PromoteRequest[]; rollback: RollbackRequest[]; canary: CanaryRequest[] } = {
    verify: [], resync: [], status: [], promote: [], rollback: [], canary: [],
  };
  const verbs: DataVerbs & StageVerbs = {
    verify: async (request) => {
      calls.verify.push(request);
      return verifyExit;
    },
    resync: async (request) => {
      calls.resync.push(request);
      return EXIT.ok;
    },
    status: async (request) => {
      calls.status.push(request);
      return stageExit;
    },
    promote: async (request) => {
      calls.promote.push(request);
      return stageExit;
    },
    rollback: async (request) => {
      calls.rollback.push(request);
      return stageExit;
    },
    canary: async (request) => {
      calls.canary.push(request);
      return stageExit;
    },
  };
  const output = { out: '', err: '' };
  let exitCode: number | undefined;
  const program = buildProgram(verbs, { writeOut: (t) => { output.out += t; }, writeErr: (t) => { output.err += t; } }, (code) => { exitCode = code; });
  const run = async (...args: string[]) => program.parseAsync(args, { from: 'user' });
  const nothingRan = () => Object.values(calls).every((list) => list.length === 0);
  return { calls, output, run, exitCode: () => exitCode, nothingRan };
}

test('verify without a context verifies all three, with the defaults', async () => {
  const cli = harness();
  await cli.run('verify');
  expect(cli.calls.verify).toEqual([{ contexts: ['identity', 'profile', 'preferences'], json: false, chunkSize: 1000, recheckDelayMs: 2000 }]);
});

test('verify passes the verb\'s exit code through (1 on drift)', async () => {
  const cli = harness(EXIT.drift);
  await cli.run('verify', 'profile', '--json', '--chunk-size', '50', '--recheck-delay', '0');
  expect(cli.calls.verify).toEqual([{ contexts: ['profile'], json: true, chunkSize: 50, recheckDelayMs: 0 }]);
  expect(cli.exitCode()).toBe(EXIT.drift);
});

test('an unknown context is a usage error, and nothing runs', async () => {
  const cli = harness();
  await expect(cli.run('verify', 'billing')).rejects.toBeInstanceOf(CommanderError);
  await expect(cli.run('resync', 'users')).rejects.toBeInstanceOf(CommanderError);
  expect(cli.nothingRan()).toBe(true);
  expect(cli.output.err).toMatch(/Allowed choices are identity, profile, preferences/);
});

test('resync needs a context, and takes --ids as verify prints them', async () => {
  const cli = harness();
  await expect(cli.run('resync')).rejects.toBeInstanceOf(CommanderError);
  await cli.run('resync', 'preferences', '--ids', '12, 40,41,12');
  expect(cli.calls.resync).toEqual([{ context: 'preferences', ids: [12, 40, 41], json: false, chunkSize: 500 }]);
});

test('resync without --ids repairs every row (no ids in the request)', async () => {
  const cli = harness();
  await cli.run('resync', 'identity');
  expect(cli.calls.resync[0]).toEqual({ context: 'identity', json: false, chunkSize: 500 });
});

test.each([['1,x'], [''], ['0'], ['-3'], ['1.5'], ['1,,2'], ['99999999999999999999']])('ids-never-reach-sql-unchecked: --ids %j is refused', (text) => {
  expect(() => parseIds(text)).toThrow(CommanderError);
});

test.each([['--chunk-size', '0'], ['--chunk-size', 'ten'], ['--recheck-delay', '-1']])('verify refuses %s %s', async (option, value) => {
  const cli = harness();
  await expect(cli.run('verify', option, value)).rejects.toBeInstanceOf(CommanderError);
  expect(cli.calls.verify).toEqual([]);
});

test('--help on each verb prints its usage and succeeds', async () => {
  const cli = harness();
  await expect(cli.run('verify', '--help')).rejects.toMatchObject({ code: 'commander.helpDisplayed', exitCode: 0 });
  expect(cli.output.out).toMatch(/Usage: strangler verify \[options\] \[context\]/);
  await expect(cli.run('resync', '--help')).rejects.toMatchObject({ code: 'commander.helpDisplayed', exitCode: 0 });
  expect(cli.output.out).toMatch(/--ids <ids>/);
});

describe('stage verbs', () => {
  test('status takes only --json', async () => {
    const cli = harness();
    await cli.run('status');
    await cli.run('status', '--json');
    expect(cli.calls.status).toEqual([{ json: false }, { json: true }]);
  });

  test('promote passes what was given and nothing else', async () => {
    const cli = harness();
    await cli.run('promote', 'profile');
    await cli.run('promote', 'identity', '--to', 'canary', '--reason', ' looks fine ', '--dry-run', '--percent', '5', '--json');
    expect(cli.calls.promote).toEqual([
      { context: 'profile', dryRun: false, force: false, json: false },
      { context: 'identity', to: 'canary', reason: 'looks fine', dryRun: true, force: false, percent: 5, json: true },
    ]);
  });

  test('the verb\'s exit code passes through (1 when guards refuse)', async () => {
    const cli = harness(EXIT.ok, EXIT.refused);
    await cli.run('promote', 'profile');
    expect(cli.exitCode()).toBe(1);
  });

  test('force-needs-a-reason: promote --force without --reason is a usage error and nothing is sent', async () => {
    const cli = harness();
    await expect(cli.run('promote', 'profile', '--force')).rejects.toMatchObject({ exitCode: EXIT.failed, code: 'strangler.forceWithoutReason' });
    await expect(cli.run('promote', 'profile', '--force', '--reason', '  ')).rejects.toBeInstanceOf(CommanderError);
    expect(cli.nothingRan()).toBe(true);
    await cli.run('promote', 'profile', '--force', '--reason', 'verified by hand');
    expect(cli.calls.promote).toEqual([{ context: 'profile', dryRun: false, force: true, reason: 'verified by hand', json: false }]);
  });

  test('unknown stages and contexts are usage errors, and nothing is sent', async () => {
    const cli = harness();
    await expect(cli.run('promote', 'profile', '--to', 'production')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli.run('promote', 'billing')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli.run('rollback', 'profile', '--to', 'yesterday')).rejects.toBeInstanceOf(CommanderError);
    await expect(cli.run('canary', 'users', '5')).rejects.toBeInstanceOf(CommanderError);
    expect(cli.nothingRan()).toBe(true);
    expect(cli.output.err).toMatch(/Allowed choices are legacy, shadow, canary, reads, writes, retired/);
  });

  test('rollback requires --to', async () => {
    const cli = harness();
    await expect(cli.run('rollback', 'profile')).rejects.toBeInstanceOf(CommanderError);
    expect(cli.output.err).toMatch(/--to <stage>' not specified/);
    await cli.run('rollback', 'profile', '--to', 'reads', '--reason', 'p99 doubled');
    expect(cli.calls.rollback).toEqual([{ context: 'profile', to: 'reads', reason: 'p99 doubled', json: false }]);
  });

  test.each([['101'], ['-1'], ['5.5'], ['half'], ['']])('canary refuses the percentage %j', async (percent) => {
    const cli = harness();
    await expect(cli.run('canary', 'profile', percent)).rejects.toBeInstanceOf(CommanderError);
    expect(cli.nothingRan()).toBe(true);
  });

  test('canary takes 0 to 100', async () => {
    const cli = harness();
    await cli.run('canary', 'preferences', '0');
    await cli.run('canary', 'preferences', '100', '--reason', 'all in', '--json');
    expect(cli.calls.canary).toEqual([{ context: 'preferences', percent: 0, json: false }, { context: 'preferences', percent: 100, reason: 'all in', json: true }]);
  });

  test.each([['status'], ['promote'], ['rollback'], ['canary']])('%s --help prints its usage and succeeds', async (verb) => {
    const cli = harness();
    await expect(cli.run(verb, '--help')).rejects.toMatchObject({ code: 'commander.helpDisplayed', exitCode: 0 });
    expect(cli.output.out).toMatch(new RegExp(`Usage: strangler ${verb}`));
    expect(cli.nothingRan()).toBe(true);
  });

  test('promote --help shows every option', async () => {
    const cli = harness();
    await expect(cli.run('promote', '--help')).rejects.toMatchObject({ exitCode: 0 });
    for (const option of ['--to <stage>', '--reason <text>', '--dry-run', '--force', '--percent <percent>', '--json']) expect(cli.output.out).toContain(option);
  });
});
