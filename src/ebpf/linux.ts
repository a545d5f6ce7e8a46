/**
 * The eBPF backend's one door to the Linux facts that live under src/ptrace today (arches,
 * syscall tables, argument decoders, errno names): they move to src/linux in the new layout,
 * and then only this file changes. Nothing of the ptrace tracer itself is imported.
 */
export { ARCHES, X32_SYSCALL_BIT, hostArch, type ArchName } from '../linux/arch.js';
export { syscallNumber, syscallTable } from '../linux/syscalls.js';
export { argDecoders, formatSockaddr, type ArgDecoder } from '../linux/decode/index.js';
export { errnoName, signalName } from '../linux/constants.js';
