import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for the process a Steward command runs in, set before the command's work starts
 * (the optimising compiler reads them each time it compiles a function, so they hold for all of
 * it). The CLI owns its process; library code never changes them.
 *
 * - No inlining in optimised code. A command is a short process on a machine it shares with the
 *   servers it manages, and it runs a great deal of code a few thousand times each: V8 optimises
 *   hundreds of functions, and with inlining each optimisation compiles whole call trees (the
 *   apply's batch path alone took 90 ms per compile, three times over). Without it, a cold apply
 *   of the `bench:postgres` project spent 1.3 instead of 1.9 CPU-seconds compiling on V8's
 *   background threads and 4.1 instead of 4.35 on its own thread, and took about 0.5 s less;
 *   verifying a million audit entries took as long as before (6.8 s against 7.1 s).
 */
const V8_FLAGS = ['--no-turbo-inlining'] as const;

let tuned = false;

/** Applies {@link V8_FLAGS} once per process. */
export function tuneRuntime(): void {
  if (tuned) return;
  tuned = true;
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
