import { PARENT_ANNOTATION, type FieldChange, type PlannedChange } from '../../core/index.js';
import type { PlanResult } from '../../engine/index.js';
import { AGENT, agentNames } from '../../kinds/index.js';
import type { PausedNote } from '../../app/kill-switch.js';
import type { Colors } from '../output.js';
import { showValue } from './values.js';

const VERB: Readonly<Record<PlannedChange['action'], string>> = {
  create: 'will be created',
  update: 'will be updated in place',
  replace: 'must be replaced',
  delete: 'will be deleted',
  'no-op': 'needs no change',
};

function symbol(action: PlannedChange['action'], color: Colors): string {
  switch (action) {
    case 'create':
      return color.green('  +');
    case 'update':
      return color.yellow('  ~');
    case 'replace':
      return `${color.red('-')}/${color.green('+')}`;
    case 'delete':
      return color.red('  -');
    case 'no-op':
      return '   ';
  }
}

function fieldLine(change: FieldChange, action: PlannedChange['action'], width: number, color: Colors): string {
  const name = change.field.padEnd(width);
  if (action === 'create') return `      ${color.green('+')} ${name} = ${showValue(change.after)}`;
  if (action === 'delete') return `      ${color.red('-')} ${name} = ${showValue(change.before)}`;
  const forces = change.requiresReplace ? color.red(' # forces replacement') : '';
  return `      ${color.yellow('~')} ${name} = ${showValue(change.before)} ${color.dim('->')} ${showValue(change.after)}${forces}`;
}

/** One line per active pause, saying what it holds back and how to lift it. */
export function renderPaused(paused: readonly PausedNote[], color: Colors): readonly string[] {
  return paused.map(({ pause, addresses }) => {
    const held = addresses.length === 0 ? 'no planned change is affected' : `${addresses.length} planned change(s) will be held back`;
    const resume = pause.scope === 'project' ? 'steward resume' : `steward resume --scope ${pause.scope}`;
    return `${color.yellow(color.bold('Paused:'))} ${pause.scope} by ${pause.actor} since ${pause.createdAt} (${pause.reason}): ${held}; lift with \`${resume}\`.`;
  });
}

/** Terraform-style description of every change, then the summary line (and any active pause). */
export function renderPlan(plan: PlanResult, color: Colors, paused: readonly PausedNote[] = []): string {
  const actionable = plan.changes.filter((c) => c.action !== 'no-op');
  const adopted = plan.changes.filter((c) => c.action === 'no-op' && c.adopt);
  const lines: string[] = [...renderPaused(paused, color)];
  if (lines.length > 0) lines.push('');
  if (actionable.length === 0) {
    lines.push(color.green(color.bold('No changes.')) + ' The live infrastructure matches the manifests.');
    for (const c of adopted) lines.push(`  ${color.dim('#')} ${c.address} exists as declared and will be recorded in the state (adopted).`);
    for (const a of plan.forget) lines.push(`  ${color.dim('#')} ${a} is gone and will be removed from the state.`);
    return lines.join('\n');
  }
  lines.push('Steward will perform the following actions:', '');
  const describe = (change: PlannedChange, indent: string): void => {
    const adopt = change.adopt ? ' (adopting an existing resource)' : '';
    lines.push(`${indent}  ${color.dim('#')} ${color.bold(change.address)} ${VERB[change.action]}: ${change.reason}${adopt}`);
    lines.push(`${indent}${symbol(change.action, color)} ${change.address}`);
    const width = Math.max(0, ...change.changes.map((f) => f.field.length));
    for (const field of change.changes) lines.push(`${indent}${fieldLine(field, change.action, width, color)}`);
    lines.push('');
  };
  // A composite's children (e.g. an Agent's roles and grants) are shown together under it.
  const parentOf = (change: PlannedChange): string | undefined => change.desired?.metadata.annotations[PARENT_ANNOTATION];
  const shown = new Set<string>();
  for (const change of actionable) {
    const parent = parentOf(change);
    if (parent === undefined) {
      describe(change, '');
      continue;
    }
    if (shown.has(parent)) continue;
    shown.add(parent);
    const children = actionable.filter((c) => parentOf(c) === parent);
    const [kind, name] = parent.split('/');
    const credential = kind === AGENT && name !== undefined ? `; its credential is kept encrypted by Steward in Secret/${agentNames(name).secret}` : '';
    lines.push(`  ${color.dim('#')} ${color.bold(parent)}: ${children.length} of its resources change${credential}`, '');
    for (const child of children) describe(child, '    ');
  }
  for (const c of adopted) lines.push(`  ${color.dim('#')} ${c.address} exists as declared and will be recorded in the state (adopted).`);
  for (const a of plan.forget) lines.push(`  ${color.dim('#')} ${a} is gone and will be removed from the state.`);
  const s = plan.summary;
  lines.push(
    `${color.bold('Plan:')} ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete.`,
  );
  return lines.join('\n');
}
