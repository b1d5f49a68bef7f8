// The operator CLI's grammar: verbs, arguments and their validation, with the work injected, so the
// grammar is unit-tested without a database. Each verb family registers itself on the program; the
// proxy's verbs (status, promote, rollback, canary) join the same way.
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { CONTEXTS, type Context } from '../cdc/ownership/ownership-map';

/** Exit codes: 0 clean / done, 1 drift found, 2 the command itself failed (usage, unreachable database). */
export const EXIT = { ok: 0, drift: 1, failed: 2 } as const;

export interface VerifyRequest {
  readonly contexts: readonly Context[];
  readonly json: boolean;
  readonly chunkSize: number;
  readonly recheckDelayMs: number;
}

export interface ResyncRequest {
  readonly context: Context;
  readonly ids?: readonly number[];
  readonly json: boolean;
  readonly chunkSize: number;
}

/** What the verbs do; each returns the process's exit code. */
export interface DataVerbs {
  verify(request: VerifyRequest): Promise<number>;
  resync(request: ResyncRequest): Promise<number>;
}

export interface ProgramOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** `--ids 1,2,3`: positive integers, at least one, duplicates folded. */
export function parseIds(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^[1-9][0-9]*$/.test(part))) throw new InvalidArgumentError('expected user ids separated by commas, e.g. 12,40,41');
  const ids = parts.map(Number);
  if (ids.some((id) => !Number.isSafeInteger(id))) throw new InvalidArgumentError('a user id is larger than 2^53 - 1');
  return [...new Set(ids)];
}

function positiveInteger(name: string, max: number) {
  return (text: string): number => {
    if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return Number(text);
  };
}

function nonNegativeInteger(name: string, max: number) {
  return (text: string): number => {
    if (!/^[0-9]+$/.test(text) || Number(text) > max) throw new InvalidArgumentError(`${name} must be an integer from 0 to ${max}`);
    return Number(text);
  };
}

const contextArgument = (required: boolean) =>
  new Argument(required ? '<context>' : '[context]', `bounded context: ${CONTEXTS.join(', ')}${required ? '' : ' (all when omitted)'}`).choices(CONTEXTS);

/** Registers `verify` and `resync`: the verbs that look at and repair the data itself. */
export function registerDataVerbs(program: Command, verbs: DataVerbs, setExitCode: (code: number) => void): void {
  program
    .command('verify')
    .description('Compare every legacy user with the contexts through the forward ACL; exit 1 when rows are missing, extra or different, 0 when clean (unsyncable rows are reported, not failed).')
    .addArgument(contextArgument(false))
    .option('--json', 'print the report as JSON', false)
    .addOption(new Option('--chunk-size <rows>', 'rows read per side and statement').argParser(positiveInteger('--chunk-size', 100_000)).default(1000))
    .addOption(new Option('--recheck-delay <ms>', 'wait before re-checking drifting rows, so syncs in flight can land').argParser(nonNegativeInteger('--recheck-delay', 600_000)).default(2000))
    .action(async (context: Context | undefined, options: { json: boolean; chunkSize: number; recheckDelay: number }) => {
      setExitCode(await verbs.verify({ contexts: context ? [context] : [...CONTEXTS], json: options.json, chunkSize: options.chunkSize, recheckDelayMs: options.recheckDelay }));
    });

  program
    .command('resync')
    .description('Repair a context from the side that owns its writes: a Debezium incremental snapshot while legacy owns them, a rewrite of legacy\'s columns once the new service does.')
    .addArgument(contextArgument(true))
    .addOption(new Option('--ids <ids>', 'only these user ids, comma-separated (as `verify` prints them); every row when omitted').argParser(parseIds))
    .option('--json', 'print the result as JSON', false)
    .addOption(new Option('--chunk-size <rows>', 'rows per legacy transaction when rewriting').argParser(positiveInteger('--chunk-size', 100_000)).default(500))
    .action(async (context: Context, options: { ids?: number[]; json: boolean; chunkSize: number }) => {
      setExitCode(await verbs.resync({ context, ...(options.ids ? { ids: options.ids } : {}), json: options.json, chunkSize: options.chunkSize }));
    });
}

/** The whole program. Usage errors do not exit the process here: the caller maps them to EXIT.failed. */
export function buildProgram(verbs: DataVerbs, output: ProgramOutput, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('strangler')
    .description('Operator CLI of the strangler migration: verify and repair the synced contexts.')
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr })
    .exitOverride()
    .showHelpAfterError();
  // Registered after the settings above, which commander copies into each subcommand when it is created.
  registerDataVerbs(program, verbs, setExitCode);
  return program;
}
