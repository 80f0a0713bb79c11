import { CommanderError } from 'commander';
import { DiagnosticsError, StewardError, errorMessage } from '../core/index.js';
import type { CommandContext } from './context.js';
import { renderDiagnostics } from './render/diagnostics.js';
import { diagnosticsDocument } from './render/json.js';

/**
 * The only place errors become exit codes and text: diagnostics are listed together, operational
 * errors are one line with the cause; a stack trace only with --debug.
 */
export function reportError(error: unknown, ctx: CommandContext, command: string): number {
  if (error instanceof CommanderError) return error.exitCode;
  const out = ctx.output;
  if (error instanceof DiagnosticsError) {
    if (ctx.json) out.out(JSON.stringify(diagnosticsDocument(error.diagnostics, command), null, 2));
    else out.err(renderDiagnostics(error.diagnostics, out.color));
    return 1;
  }
  const message = errorMessage(error);
  if (ctx.json) out.out(JSON.stringify({ formatVersion: '1', command, ok: false, error: { code: error instanceof StewardError ? error.code : 'internal', message } }, null, 2));
  else out.err(`${out.color.red(out.color.bold('Error:'))} ${message}`);
  if (ctx.debug && error instanceof Error && error.stack) out.err(error.stack);
  else if (!(error instanceof StewardError) && !ctx.json) out.err(out.color.dim('(run with --debug for the stack trace)'));
  return 1;
}
