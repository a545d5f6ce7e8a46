/**
 * The `sbx` command line: wiring only; each command's work lives in the layers below (src/profile, src/policy, src/ptrace, src/learn, src/ui).
 * Actions import their modules lazily, so a command loads only what it uses (start-up matters
 * for `sbx learn` on short programs). src/cli/start.ts runs it.
 */
import { fstatSync } from 'node:fs';
import { Command, CommanderError } from '@commander-js/extra-typings';
import { QuietExit, UserError } from '../io.js';
import { releaseUnusedTracer } from '../ptrace/prestart.js';
import { toolVersion } from '../version.js';
import { registerBpfCommand } from './bpf.js';
import { registerRunCommand } from './run.js';
import { registerProposeCommand } from './propose.js';
import { registerEmitCommand } from './emit.js';
import { registerDiffCommand } from './diff.js';
import { registerLearnCommand } from './learn.js';
import { registerReportCommand } from './report.js';
import { registerMergeCommand } from './merge.js';
import { registerReviewCommand } from './review.js';
import { registerValidateCommand } from './validate.js';

const program = new Command()
  .name('sbx')
  .description('Watch a program run and learn the seccomp policy it needs')
  .version(toolVersion(), '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  // Like strace, env and time, a command's options end at the program's name (passThroughOptions).
  .enablePositionalOptions()
  // Usage errors throw instead of exiting at once, so an unused tracer worker is stopped first.
  .exitOverride();

/** Each command by its name, in the order help lists them. */
export const COMMANDS: ReadonlyMap<string, (program: Command) => void> = new Map([
  ['learn', registerLearnCommand],
  ['report', registerReportCommand],
  ['merge', registerMergeCommand],
  ['propose', registerProposeCommand],
  ['emit', registerEmitCommand],
  ['diff', registerDiffCommand],
  ['bpf', registerBpfCommand],
  ['run', registerRunCommand],
  ['review', registerReviewCommand],
  ['validate', registerValidateCommand],
]);

// A command line that names a command needs that command only (its options, help and errors
// are its own): defining all ten costs every start ~1.5 ms. Anything else (help, a
// misspelled command, --version) gets them all.
const named = COMMANDS.get(process.argv[2] ?? '');
for (const register of named ? [named] : COMMANDS.values()) register(program);

/** Commands that run a program and pass its exit code on: their own failures exit 125, never a code the program may return. */
export const RUNS_A_PROGRAM = new Set(['learn', 'run', 'validate']);
const OWN_FAILURE = 125;
const BAD_INPUT = 2;
/** sbx's own failure as this command reports it (README "Exit codes"): 125 where a program's code is passed on. */
const ownFailure = (code: number): number => (RUNS_A_PROGRAM.has(process.argv[2] ?? '') && [1, 2, 70].includes(code) ? OWN_FAILURE : code);

/**
 * sbx's own messages never change the exit code it passes on: a closed or broken stdout or
 * stderr (EPIPE) loses them quietly. A stream on a pipe or a socket is created now, before any
 * program starts, because libuv sets O_NONBLOCK on the open file description behind it, which
 * the program shares (spawn.ts gives the program its flags back; a stream created while it runs
 * would change them under it). Any other (a file, /dev/null, a terminal, which libuv reopens
 * for itself) is created when first used, if ever: Node's stream classes cost ~4 ms.
 */
function quietOwnOutput(): void {
  for (const [fd, name] of [
    [1, 'stdout'],
    [2, 'stderr'],
  ] as const) {
    const quiet = (stream: NodeJS.WriteStream) => stream.on('error', () => {});
    const lazy = Object.getOwnPropertyDescriptor(process, name);
    if (!lazy?.get || !lazy.configurable || sharesFlags(fd)) {
      quiet(process[name]);
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: lazy.enumerable,
      get() {
        const stream = lazy.get!.call(process) as NodeJS.WriteStream;
        Object.defineProperty(process, name, { configurable: true, enumerable: lazy.enumerable, value: stream });
        quiet(stream);
        return stream;
      },
    });
  }
}

/** Whether a stream on `fd` would set O_NONBLOCK on a description the program shares (a pipe or a socket; unknown counts as yes). */
function sharesFlags(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return true;
  }
}

/** Run the command line in process.argv, setting process.exitCode. */
export async function runCli(): Promise<void> {
  quietOwnOutput();

  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    // Commander says 1 for a usage error; usage and input errors are 2 for every command (1 is diff's "different").
    if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : ownFailure(BAD_INPUT);
    else if (err instanceof QuietExit) process.exitCode = err.exitCode;
    else if (err instanceof UserError) {
      process.stderr.write(`sbx: ${err.message}\n`);
      process.exitCode = ownFailure(err.exitCode);
    } else {
      // A bug, not bad input: the stack goes with it, mapped back to src/, so the report can say where.
      const { sourceMappedStack } = await import('../stack.js');
      process.stderr.write(
        `sbx: internal error: ${(err as Error).message}\n${sourceMappedStack((err as Error).stack ?? '')}\nsbx: this is a bug in sbx; please report it with the command line above\n`,
      );
      process.exitCode = 70;
    }
  } finally {
    await releaseUnusedTracer();
  }
  if (RUNS_A_PROGRAM.has(process.argv[2] ?? '')) await (await import('../learn/session/exit.js')).raisePassedSignal();
}
