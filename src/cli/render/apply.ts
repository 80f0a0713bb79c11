import type { ApplyEvent, ApplyResult } from '../../engine/index.js';
import type { Colors } from '../output.js';

const ING: Readonly<Record<string, string>> = { create: 'Creating', update: 'Updating', replace: 'Replacing', delete: 'Deleting' };
const DONE: Readonly<Record<string, string>> = { create: 'Creation', update: 'Update', replace: 'Replacement', delete: 'Deletion' };

/** One progress line per event, as resources start and finish. */
export function renderApplyEvent(event: ApplyEvent, color: Colors): string {
  const address = color.bold(event.change.address);
  if (event.type === 'start') return `${address}: ${ING[event.change.action] ?? 'Working'}...`;
  const result = event.result;
  const seconds = (result.durationMs / 1000).toFixed(2);
  if (result.status === 'succeeded') return `${address}: ${DONE[result.action] ?? 'Change'} complete after ${seconds}s`;
  if (result.status === 'skipped') return `${address}: ${color.yellow('skipped')} (${result.error ?? 'not started'})`;
  return `${address}: ${color.red('failed')} after ${seconds}s: ${result.error ?? 'unknown error'}`;
}

export function renderApplySummary(result: ApplyResult, color: Colors, verb = 'Apply'): string {
  const done = result.results.filter((r) => r.status === 'succeeded');
  const count = (action: string): number => done.filter((r) => r.action === action).length;
  const counts = `${count('create')} created, ${count('update')} updated, ${count('replace')} replaced, ${count('delete')} deleted`;
  if (result.ok) return `${color.green(color.bold(`${verb} complete!`))} Resources: ${counts}.`;
  const failed = result.results.filter((r) => r.status === 'failed').length;
  const skipped = result.results.filter((r) => r.status === 'skipped').length;
  return `${color.red(color.bold(`${verb} failed.`))} Resources: ${counts}; ${failed} failed, ${skipped} not started. The state records what was done.`;
}
