/** How the main thread asks the tracer worker to stop (detach under --pid). */

/** Index in the shared Int32Array: non-zero = stop requested. */
export const CONTROL_STOP = 0;

/**
 * Wake a tracer blocked in waitpid(-1) from another thread: the exit of a short-lived child
 * is an event it sees. Spawned with posix_spawn, not child_process, so libuv never waits for
 * a child the tracer reaps. koffi loads only when this is needed.
 */
export async function wakeTracer(): Promise<void> {
  const { posixSpawnp } = await import('./libc.js');
  posixSpawnp([0], 'true', 0n, 0n, ['true', null], [null]);
}
