/** `sbx emit --runtime`: the container runtimes sbx has traced, or none (kept apart from ./runtime.ts so the CLI can list them without loading the model). */
import { RUNTIME_NEEDS, type TracedRuntime } from './runtime-needs.js';

/** Whose start-up calls to allow; `none` emits the policy as it is. */
export type RuntimeChoice = TracedRuntime | 'none';
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = [...(Object.keys(RUNTIME_NEEDS) as TracedRuntime[]), 'none'];
/** runc: what Docker, containerd and CRI-O run by default. */
export const DEFAULT_RUNTIME: RuntimeChoice = 'runc';
