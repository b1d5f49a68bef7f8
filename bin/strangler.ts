// `npx strangler <verb>`: the operator CLI (CONTRACT.md, "Operator surfaces"). bin/strangler.js runs this
// file through tsx, so no build step stands between `npm ci` and the first command.
import { CommanderError } from 'commander';
import { dataVerbs } from './data-verbs';
import { buildProgram, EXIT } from './program';
import { stageVerbs } from './stage-verbs';

async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const output = { writeOut: (text: string) => process.stdout.write(text), writeErr: (text: string) => process.stderr.write(text) };
  const verbs = { ...dataVerbs({ env: process.env, stdout: output.writeOut }), ...stageVerbs({ env: process.env, stdout: output.writeOut, stderr: output.writeErr }) };
  const program = buildProgram(verbs, output, (code) => { exitCode = code; });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end in a CommanderError too: they succeeded.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? EXIT.ok : EXIT.failed;
    }
    throw error;
  }
  return exitCode;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`strangler: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
