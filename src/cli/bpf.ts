/**
 * `sbx bpf policy.json`: compile a policy to a seccomp filter and show it (disassembly, raw
 * sock_filter bytes, a C array) or what it costs (`--stats`). Wiring only: the compiler is
 * src/policy/compile/compile.ts, the costs src/policy/compile/stats.ts, both imported when the command
 * runs.
 */
import { Option, type Command } from '@commander-js/extra-typings';
import { UserError, assertWritable, writeFileAtomic } from '../io.js';
import type { ArchName } from '../linux/arch.js';
import type { Layout } from '../policy/compile/compile.js';
import type { CallMix, FilterCost } from '../policy/compile/stats.js';
import type { Program } from '../bpf/program.js';
import type { Policy } from '../policy/policy.js';
import { deliver, writeStdout } from './arguments.js';

interface BpfOptions {
  readonly profile?: string;
  readonly layout: Layout;
  readonly stats: boolean;
  readonly json: boolean;
  readonly emit?: 'raw' | 'c';
  readonly output?: string;
}

/** Registers `sbx bpf` on `program`. */
export function registerBpfCommand(program: Command): void {
  program
    .command('bpf')
    .description('compile a policy to a seccomp BPF filter: disassembly, raw or C output, and its cost per syscall (see docs/bpf.md)')
    .argument('<policy>', 'policy JSON (sbx propose)')
    .option('--profile <profile>', "profile whose call counts lay out and cost the filter (default: the rules' observed counts)")
    .addOption(new Option('--layout <layout>', 'dispatch layout').choices(['linear', 'tree', 'cache-aware']).default('cache-aware'))
    .option(
      '--stats',
      'instruction count, expected and worst-case instructions per syscall for each layout, and what the action cache decides',
      false,
    )
    .option('--json', 'JSON instead of text (disassembly: the instructions; --stats: the numbers)', false)
    .addOption(new Option('--emit <format>', 'write the filter as raw struct sock_filter bytes or a C array').choices(['raw', 'c']))
    .option('-o, --output <file>', 'write here instead of stdout (with --emit: the filter)')
    .action(async (file, opts) => {
      if (opts.emit && opts.json && !opts.stats) throw new UserError('--emit writes the filter itself: leave out --json');
      if (opts.emit && opts.stats && !opts.output)
        throw new UserError('--emit with --stats needs -o for the filter (the stats go to stdout)');
      if (opts.output) assertWritable(opts.output, [file, ...(opts.profile ? [opts.profile] : [])]);
      await runBpf(file, opts);
    });
}

async function runBpf(file: string, opts: BpfOptions): Promise<void> {
  const [{ readPolicy }, { readProfile }, compile, stats, disasm, { syscallNameOrNumber }] = await Promise.all([
    import('../policy/policy.js'),
    import('../profile/profile.js'),
    import('../policy/compile/compile.js'),
    import('../policy/compile/stats.js'),
    import('../bpf/disasm.js'),
    import('../linux/syscalls.js'),
  ]);
  const policy = readPolicy(file);
  const mix: CallMix = opts.profile ? stats.callMix(readProfile(opts.profile)) : stats.policyCallMix(policy);
  const build = (layout: Layout): Program => compile.compilePolicy(policy, { layout, profile: mix, source: file });
  const program = build(opts.layout);

  // -o takes the filter when one is emitted, else whatever is printed.
  if (opts.emit === 'c') await deliver(opts.output, cArray(disasm.formatCArray(program), file, opts.layout, program.length));
  if (opts.emit === 'raw') {
    const bytes = disasm.formatRaw(program);
    if (opts.output) writeFileAtomic(opts.output, bytes);
    else if (process.stdout.isTTY) throw new UserError('--emit raw writes binary: give -o FILE or redirect stdout');
    else await writeStdout(bytes);
  }
  if (opts.emit && !opts.stats) return;

  if (opts.stats) {
    const rows = compile.LAYOUTS.map((layout) => ({
      layout,
      cost: stats.expectedCost(layout === opts.layout ? program : build(layout), mix),
    }));
    const cached = stats.cachedSyscalls(program, policy.arches);
    await deliver(
      opts.emit ? undefined : opts.output,
      opts.json
        ? statsJson(file, opts, policy, rows, cached)
        : statsText(file, opts, policy, rows, cached, mix, syscallNameOrNumber, stats.formatCost),
    );
    return;
  }

  await deliver(
    opts.output,
    opts.json
      ? `${JSON.stringify({ policy: file, layout: opts.layout, length: program.length, instructions: program.instructions }, null, 2)}\n`
      : disasm.disassemble(program),
  );
}

function cArray(body: string, file: string, layout: Layout, length: number): string {
  const lines = body
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`);
  return `/* ${file}: ${layout} layout, ${length} instructions (sbx bpf --emit c) */\nstruct sock_filter filter[] = {\n${lines.join('\n')}\n};\n`;
}

interface StatsRow {
  readonly layout: Layout;
  readonly cost: FilterCost;
}

type Cached = readonly { readonly arch: ArchName; readonly nrs: readonly number[] }[];

function statsJson(file: string, opts: BpfOptions, policy: Policy, rows: readonly StatsRow[], cached: Cached): string {
  return `${JSON.stringify(
    {
      policy: file,
      ...(opts.profile ? { profile: opts.profile } : {}),
      arches: policy.arches,
      selected: opts.layout,
      calls: rows[0]?.cost.calls ?? 0,
      layouts: rows.map((r) => ({ layout: r.layout, ...r.cost })),
      actionCache: cached.map((c) => ({ arch: c.arch, syscalls: c.nrs.length, nrs: c.nrs })),
    },
    null,
    2,
  )}\n`;
}

function statsText(
  file: string,
  opts: BpfOptions,
  policy: Policy,
  rows: readonly StatsRow[],
  cached: Cached,
  mix: CallMix,
  syscallLabel: (arch: ArchName, nr: number) => string,
  formatCost: (cost: number) => string,
): string {
  const calls = rows[0]?.cost.calls ?? 0;
  const source = opts.profile ? `profile ${opts.profile}` : "the rules' observed counts";
  const out = [
    `${file}: ${policy.rules.length} rules on ${policy.arches.join(', ')}; ${calls ? `${calls} calls from ${source}` : `no call counts (give --profile): expected costs are 0`}`,
    '',
    'instructions per syscall: mean over calls, most seen, most on any path; "cached": action-cache hits count 0',
  ];
  const header = ['layout', 'length', 'expected', 'worst seen', 'worst path', 'expected cached', 'worst seen cached'];
  const table = rows.map((r) => [
    `${r.layout}${r.layout === opts.layout ? ' *' : ''}`,
    String(r.cost.instructions),
    formatCost(r.cost.expected),
    String(r.cost.worstSeen),
    String(r.cost.worst),
    formatCost(r.cost.expectedCached),
    String(r.cost.worstSeenCached),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out.push(line(header), ...table.map(line), '');
  const total = cached.reduce((n, c) => n + c.nrs.length, 0);
  const cachedCalls = rows.find((r) => r.layout === opts.layout)?.cost.cachedCalls ?? 0;
  out.push(
    `action cache (Linux >= 5.11): ${total} syscalls are decided without running the filter` +
      (calls ? `, ${cachedCalls} of ${calls} calls (${((100 * cachedCalls) / calls).toFixed(1)}%)` : ''),
  );
  for (const c of cached) out.push(`  ${c.arch}: ${c.nrs.map((nr) => syscallLabel(c.arch, nr)).join(' ') || '(none)'}`);
  const uncachedHot = mix.filter((m) => !cached.some((c) => c.arch === m.arch && c.nrs.includes(m.nr))).sort((a, b) => b.count - a.count);
  if (uncachedHot.length) {
    out.push(
      `run the filter: ${uncachedHot
        .slice(0, 12)
        .map((m) => `${syscallLabel(m.arch, m.nr)} (${m.count})`)
        .join(' ')}${uncachedHot.length > 12 ? ' ...' : ''}`,
    );
  }
  return `${out.join('\n')}\n`;
}
