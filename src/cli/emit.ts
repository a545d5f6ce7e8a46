/** `sbx emit`: a policy in another tool's format (docs/propose.md, the emitter table). */
import { type Command, Option } from '@commander-js/extra-typings';
import { assertWritable, isSpecialFile, UserError, writeFileAtomic } from '../io.js';
import { CONTAINER_FORMATS, EMITTERS, emitterNames, type EmitterName } from '../policy/emit/index.js';
import { DEFAULT_RUNTIME, RUNTIME_CHOICES } from '../policy/emit/runtime-choice.js';
import { deliver, kernelVersion } from './arguments.js';

export function registerEmitCommand(program: Command): void {
  program
    .command('emit')
    .description('write a policy in another format: one model, every backend')
    .argument('<policy>', 'policy JSON written by sbx propose (or by hand, see docs/policy-format.md)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(emitterNames()).makeOptionMandatory())
    .option('-o, --output <file>', 'write here (formats with a second file put it next to this one); default: stdout')
    .addOption(
      new Option(
        '--runtime <runtime>',
        `oci, spo: also allow what this container runtime calls after loading the filter (default: ${DEFAULT_RUNTIME}; none: the policy alone)`,
      ).choices(RUNTIME_CHOICES),
    )
    .option('--name <name>', "spo: the SeccompProfile's metadata.name (default: the program's name)")
    .option(
      '--target-kernel <X.Y>',
      "names the output may use: those Linux X.Y has (sbx's table of releases); default: the uapi headers installed here (/usr/include/asm*/unistd*.h)",
      kernelVersion,
    )
    .addHelpText(
      'after',
      `\nFormats:\n${emitterNames()
        .map((n: EmitterName) => `  ${n.padEnd(13)} ${EMITTERS[n].describe}`)
        .join('\n')}\n`,
    )
    .action(async (file, opts) => {
      if (opts.runtime !== undefined && !CONTAINER_FORMATS.includes(opts.format))
        throw new UserError(`--runtime applies to ${CONTAINER_FORMATS.map((f) => `-f ${f}`).join(' and ')}, not -f ${opts.format}`);
      if (opts.name !== undefined && opts.format !== 'spo') throw new UserError(`--name applies to -f spo, not -f ${opts.format}`);
      if (opts.output) assertWritable(opts.output, [file]);
      const [{ readPolicy }, emitter, { headersTarget, kernelTarget }] = await Promise.all([
        import('../policy/policy.js'),
        EMITTERS[opts.format].load(),
        import('../linux/target-syscalls.js'),
      ]);
      const policy = readPolicy(file);
      const target = opts.targetKernel === undefined ? headersTarget(policy.arches) : kernelTarget(opts.targetKernel);
      const result = emitter.emit(policy, { source: file, output: opts.output, runtime: opts.runtime, name: opts.name, target });
      await deliver(opts.output, result.text);
      for (const note of result.notes ?? []) process.stderr.write(`sbx: ${note}\n`);
      // Beside a device or FIFO (-o /dev/null) there is no place of the output's own: /dev/null.frequency is not one.
      const besideOutput = opts.output !== undefined && !isSpecialFile(opts.output);
      for (const extra of result.extras ?? []) {
        if (besideOutput) writeFileAtomic(extra.path, extra.text);
        else if (opts.output) process.stderr.write(`sbx: ${extra.what} not written (${opts.output} is not a regular file)\n`);
        else process.stderr.write(`sbx: ${extra.what} not written (give -o to write ${extra.path})\n`);
      }
      for (const warning of result.warnings) process.stderr.write(`sbx: warning: ${warning}\n`);
    });
}
