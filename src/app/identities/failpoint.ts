/**
 * Crash injection for the interrupted-rotation tests: when `STEWARD_FAILPOINT` names the step just
 * completed, the process is killed outright (SIGKILL, like `kill -9`), so nothing gets to clean up.
 * Unset in normal use.
 */
export function failpoint(env: NodeJS.ProcessEnv, name: string): void {
  if (env['STEWARD_FAILPOINT'] === name) process.kill(process.pid, 'SIGKILL');
}
