import { formatFieldPath, sortDiagnostics, type Diagnostic } from '../../core/index.js';
import type { Colors } from '../output.js';

/**
 * One block per diagnostic, compiler style:
 * `file:line:column: error[code]: summary` then the field, detail and a hint.
 */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], color: Colors): string {
  const blocks = sortDiagnostics(diagnostics).map((d) => {
    const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.column}: ` : '';
    const label = d.severity === 'error' ? color.red(color.bold(`error[${d.code}]`)) : color.yellow(color.bold(`warning[${d.code}]`));
    const lines = [`${color.bold(where)}${label}: ${d.summary}`];
    if (d.address) lines.push(`  resource: ${d.address}`);
    if (d.path && d.path.length > 0) lines.push(`  field:    ${formatFieldPath(d.path)}`);
    if (d.detail) lines.push(`  ${d.detail}`);
    if (d.hint) lines.push(`  ${color.cyan('hint:')} ${d.hint}`);
    return lines.join('\n');
  });
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const counts = [errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '']
    .filter(Boolean)
    .join(', ');
  return `${blocks.join('\n\n')}\n\n${counts}`;
}
