// The operator CLI's grammar: verbs, arguments and their validation, with the work injected, so the
// grammar is unit-tested without a database or a network. Each verb family registers itself on the
// program: the data verbs (verify, resync) and the stage verbs (status, promote, rollback, canary).
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { CONTEXTS, STAGES, type Context, type Stage } from '../cdc/ownership/ownership-map';

/**
 * Exit codes: 0 clean / done, 1 drift found or a promotion refused by its guards, 2 the command itself
 * failed (usage, unreachable database or admin API, any other refusal).
 */
export const EXIT = { ok: 0, drift: 1, refused: 1, failed: 2 } as const;

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

export interface StatusRequest {
  readonly json: boolean;
}

export interface PromoteRequest {
  readonly context: Context;
  readonly to?: Stage;
  readonly reason?: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly percent?: number;
  readonly json: boolean;
}

export interface RollbackRequest {
  readonly context: Context;
  readonly to: Stage;
  readonly reason?: string;
  readonly percent?: number;
  readonly json: boolean;
}

export interface CanaryRequest {
  readonly context: Context;
  readonly percent: number;
  readonly reason?: string;
  readonly json: boolean;
}

/** The stage verbs, which talk to the proxy's admin API; each returns the process's exit code. */
export interface StageVerbs {
  status(request: StatusRequest): Promise<number>;
  promote(request: PromoteRequest): Promise<number>;
  rollback(request: RollbackRequest): Promise<number>;
  canary(request: CanaryRequest): Promise<number>;
}

const stageOption = (flags: string, description: string) => new Option(flags, description).choices(STAGES);
const percentParser = nonNegativeInteger('percent', 100);
const percentOption = () => new Option('--percent <percent>', 'canary percentage to start at, when the change enters canary (0-100)').argParser(percentParser);
const reasonOption = () => new Option('--reason <text>', 'why, for the audit log');

/** Registers `status`, `promote`, `rollback` and `canary`: the operators' hands on the migration stages. */
export function registerStageVerbs(program: Command, verbs: StageVerbs, setExitCode: (code: number) => void): void {
  program
    .command('status')
    .description('Show each context\'s stage, canary percentage, write hold, sync health and the guards of its next promotion.')
    .option('--json', 'print the admin API\'s answer as JSON', false)
    .action(async (options: { json: boolean }) => {
      setExitCode(await verbs.status({ json: options.json }));
    });

  const promote = program
    .command('promote')
    .description(`Move a context exactly one stage forward (${STAGES.join(' → ')}) if its guards hold; exit 1 when they do not, naming each failed guard.`)
    .addArgument(contextArgument(true))
    .addOption(stageOption('--to <stage>', 'the stage expected next; refused if it is not exactly one forward'))
    .addOption(reasonOption())
    .option('--dry-run', 'evaluate the guards and show what would change, changing nothing', false)
    .option('--force', 'proceed although guards fail (needs --reason; audited as forced)', false)
    .addOption(percentOption())
    .option('--json', 'print the admin API\'s answer as JSON', false)
    .action(async (context: Context, options: { to?: Stage; reason?: string; dryRun: boolean; force: boolean; percent?: number; json: boolean }) => {
      const reason = options.reason?.trim();
      if (options.force && !reason) promote.error('error: --force needs a --reason, for the audit log', { exitCode: EXIT.failed, code: 'strangler.forceWithoutReason' });
      setExitCode(
        await verbs.promote({
          context,
          dryRun: options.dryRun,
          force: options.force,
          json: options.json,
          ...(options.to ? { to: options.to } : {}),
          ...(reason ? { reason } : {}),
          ...(options.percent !== undefined ? { percent: options.percent } : {}),
        }),
      );
    });

  program
    .command('rollback')
    .description('Move a context back to any earlier stage. Leaving writes or retired waits for the reverse sync to drain first.')
    .addArgument(contextArgument(true))
    .addOption(stageOption('--to <stage>', 'the earlier stage to return to').makeOptionMandatory())
    .addOption(reasonOption())
    .addOption(percentOption())
    .option('--json', 'print the admin API\'s answer as JSON', false)
    .action(async (context: Context, options: { to: Stage; reason?: string; percent?: number; json: boolean }) => {
      const reason = options.reason?.trim();
      setExitCode(await verbs.rollback({ context, to: options.to, json: options.json, ...(reason ? { reason } : {}), ...(options.percent !== undefined ? { percent: options.percent } : {}) }));
    });

  program
    .command('canary')
    .description('Set the percentage of users the new service serves while the context is in canary (the same users stay in as it rises).')
    .addArgument(contextArgument(true))
    .addArgument(new Argument('<percent>', 'integer from 0 to 100').argParser(percentParser))
    .addOption(reasonOption())
    .option('--json', 'print the admin API\'s answer as JSON', false)
    .action(async (context: Context, percent: number, options: { reason?: string; json: boolean }) => {
      const reason = options.reason?.trim();
      setExitCode(await verbs.canary({ context, percent, json: options.json, ...(reason ? { reason } : {}) }));
    });
}

/** The whole program. Usage errors do not exit the process here: the caller maps them to EXIT.failed. */
export function buildProgram(verbs: DataVerbs & StageVerbs, output: ProgramOutput, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('strangler')
    .description('Operator CLI of the strangler migration: move contexts through their stages, verify and repair the synced contexts.')
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr })
    .exitOverride()
    .showHelpAfterError();
  // Registered after the settings above, which commander copies into each subcommand when it is created.
  registerStageVerbs(program, verbs, setExitCode);
  registerDataVerbs(program, verbs, setExitCode);
  return program;
}
