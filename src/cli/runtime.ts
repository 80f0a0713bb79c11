import { setFlagsFromString } from 'node:v8';

/**
 * Sets up V8 for the process a Steward command runs in, before the command's work starts (the
 * optimising compiler reads its flags each time it compiles a function, so they hold for all of
 * it). Setting a flag twice changes nothing. The CLI owns its process, so this lives here; the one
 * flag the store sets itself (`--liftoff-only`, see `pglite-client.ts`) concerns only PGlite's
 * WebAssembly and holds wherever the store is used.
 *
 * No inlining in optimised code. A command is a short process on a machine it shares with the
 * servers it manages, and it runs a great deal of code a few thousand times each: V8 optimises
 * hundreds of functions, and with inlining each optimisation compiles whole call trees (the
 * apply's batch path alone took 90 ms per compile, three times over). Without it, a cold apply of
 * the `bench:postgres` project spent 1.3 instead of 1.9 CPU-seconds compiling on V8's background
 * threads and 4.1 instead of 4.35 on its own thread, and took about 0.5 s less; verifying a
 * million audit entries took as long as before (6.8 s against 7.1 s).
 */
export function tuneRuntime(): void {
  setFlagsFromString('--no-turbo-inlining');
}
