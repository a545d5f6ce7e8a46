/** The run-time facts the eBPF programs are assembled against: tracefs formats and kernel BTF. */
import { describe, expect, it } from 'vitest';
import { kernelBtf } from '../src/ebpf/btf.js';
import { parseFormat, readTracepoint } from '../src/ebpf/tracefs.js';

const SCHED_PROCESS_FORK = `name: sched_process_fork
ID: 366
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:__data_loc char[] parent_comm;	offset:8;	size:4;	signed:0;
	field:pid_t parent_pid;	offset:12;	size:4;	signed:1;
	field:pid_t child_pid;	offset:20;	size:4;	signed:1;
	field:unsigned long args[6];	offset:24;	size:48;	signed:0;
`;

describe('tracefs formats', () => {
  it('parses offsets, sizes, arrays and __data_loc fields', () => {
    const fields = parseFormat(SCHED_PROCESS_FORK);
    expect(fields.get('child_pid')).toEqual({ name: 'child_pid', offset: 20, size: 4, dataLoc: false });
    expect(fields.get('parent_comm')).toEqual({ name: 'parent_comm', offset: 8, size: 4, dataLoc: true });
    expect(fields.get('args')).toEqual({ name: 'args', offset: 24, size: 48, dataLoc: false });
  });

  it("reads this kernel's sys_enter layout (id, then six u64 args)", () => {
    const tp = readTracepoint('raw_syscalls', 'sys_enter');
    expect(tp.id).toBeGreaterThan(0);
    expect(tp.fields.get('args')?.size).toBe(48);
    expect(tp.fields.get('args')!.offset).toBe(tp.fields.get('id')!.offset + 8);
  });

  it('names a tracepoint this kernel lacks', () => {
    expect(() => readTracepoint('sched', 'no_such_event')).toThrow(/tracepoint sched\/no_such_event is not available/);
  });
});

describe('kernel BTF', () => {
  it('gives the bpf_prog_info offsets kernel.ts reads run time and count at', () => {
    expect(kernelBtf().offsetOf('bpf_prog_info', 'run_time_ns')).toBe(192);
    expect(kernelBtf().offsetOf('bpf_prog_info', 'run_cnt')).toBe(200);
  });

  it('finds nested members (task_struct.thread_info.status) and says what is missing', () => {
    const btf = kernelBtf();
    expect(btf.offsetOf('task_struct', 'thread_info.status')).toBe(
      btf.offsetOf('task_struct', 'thread_info') + btf.offsetOf('thread_info', 'status'),
    );
    expect(btf.offsetOf('task_struct', 'tgid')).toBe(btf.offsetOf('task_struct', 'pid') + 4);
    expect(() => btf.offsetOf('task_struct', 'no_such_member')).toThrow(/struct task_struct has no member no_such_member/);
    expect(() => btf.offsetOf('no_such_struct', 'x')).toThrow(/kernel BTF has no struct no_such_struct/);
  });
});
