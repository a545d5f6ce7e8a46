/**
 * Slots: one index per (arch, syscall number), so the tracer's hot path counts into typed
 * arrays. Shared by the recorder, the tracer and the progress view (which reads the counts
 * through a SharedArrayBuffer).
 */
import { ARCHES, X32_SYSCALL_BIT, type ArchName } from '../linux/arch.js';

/** Syscall numbers per arch that get a slot; larger numbers are not valid syscalls anywhere we trace. */
export const SLOTS_PER_ARCH = 1024;
export const SLOT_COUNT = ARCHES.length * SLOTS_PER_ARCH;

/** Fields of the shared live-stats array: processes (distinct tgids) and threads (all tasks) seen. */
export const LIVE_PROCESSES = 0;
export const LIVE_THREADS = 1;
export const LIVE_FIELDS = 2;

const X32_ARCH_INDEX = ARCHES.findIndex((a) => a.name === 'x32');

/** Slot of (arch index, nr), or -1 when the number is outside the table range. */
export function slotOf(archIndex: number, nr: number): number {
  const index = archIndex === X32_ARCH_INDEX ? nr & ~X32_SYSCALL_BIT : nr;
  return index >= 0 && index < SLOTS_PER_ARCH ? archIndex * SLOTS_PER_ARCH + index : -1;
}

export function slotArch(slot: number): ArchName {
  return ARCHES[Math.floor(slot / SLOTS_PER_ARCH)]!.name;
}

export function slotNr(slot: number): number {
  const archIndex = Math.floor(slot / SLOTS_PER_ARCH);
  const index = slot % SLOTS_PER_ARCH;
  return archIndex === X32_ARCH_INDEX ? index | X32_SYSCALL_BIT : index;
}
