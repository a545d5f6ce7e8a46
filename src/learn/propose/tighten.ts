/**
 * Argument tightening (`sbx propose --args`), as data: the arguments whose observed values
 * make a good allowlist. One argument per syscall, so the rules stay a list of alternatives
 * rather than a cross product. `width` is the C type's: a 32-bit argument is compared on its
 * low word (masked-eq with 0xffffffff), because the upper half of the register is not
 * guaranteed to be zero.
 */
export interface TightenRow {
  readonly syscall: string;
  readonly index: number;
  readonly width: 32 | 64;
  readonly what: string;
}

export const TIGHTEN: readonly TightenRow[] = [
  { syscall: 'clone', index: 0, width: 64, what: 'clone flags' },
  { syscall: 'socket', index: 0, width: 32, what: 'address family' },
  { syscall: 'socketpair', index: 0, width: 32, what: 'address family' },
  { syscall: 'ioctl', index: 1, width: 32, what: 'ioctl request' },
  { syscall: 'prctl', index: 0, width: 32, what: 'prctl option' },
  { syscall: 'fcntl', index: 1, width: 32, what: 'fcntl command' },
  { syscall: 'arch_prctl', index: 0, width: 32, what: 'arch_prctl code' },
  { syscall: 'personality', index: 0, width: 64, what: 'persona' },
];
