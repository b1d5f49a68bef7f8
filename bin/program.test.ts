import { CommanderError } from 'commander';
import { buildProgram, EXIT, parseIds, type DataVerbs, type ResyncRequest, type VerifyRequest } from './program';

function harness(verifyExit: number = EXIT.ok) {
  const calls: { verify: VerifyRequest[]; resync: ResyncRequest[] } = { verify: [], resync: [] };
  const verbs: DataVerbs = {
    verify: async (request) => {
      calls.verify.push(request);
      return verifyExit;
    },
    resync: async (request) => {
      calls.resync.push(request);
      return EXIT.ok;
    },
  };
  const output = { out: '', err: '' };
  let exitCode: number | undefined;
  const program = buildProgram(verbs, { writeOut: (t) => { output.out += t; }, writeErr: (t) => { output.err += t; } }, (code) => { exitCode = code; });
  const run = async (...args: string[]) => program.parseAsync(args, { from: 'user' });
  return { calls, output, run, exitCode: () => exitCode };
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
  expect(cli.calls).toEqual({ verify: [], resync: [] });
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
