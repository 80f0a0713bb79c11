import { relative } from 'node:path';
import type { Command } from 'commander';
import { runImport, type ImportReport } from '../../app/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../render/table.js';

interface ImportFlags {
  readonly instance: string;
  readonly database?: readonly string[];
  readonly out?: string;
  readonly force: boolean;
  readonly json: boolean;
}

const collect = (value: string, previous: readonly string[] | undefined): readonly string[] => [...(previous ?? []), value];

function importDocument(report: ImportReport): unknown {
  return {
    formatVersion: '1',
    command: 'import postgres',
    ok: true,
    instance: report.instance,
    out: report.out,
    serverVersion: report.serverVersion,
    catalogQueries: report.catalogQueries,
    instanceWritten: report.instanceWritten,
    files: report.files.map((f) => ({ path: f.path, kind: f.kind, resources: f.resources })),
    skipped: report.skipped,
  };
}

function renderReport(report: ImportReport, ctx: CommandContext): string {
  const c = ctx.output.color;
  const rows = report.files.map((f) => [relative(process.cwd(), f.path) || f.path, f.kind, String(f.resources)]);
  const total = report.files.filter((f) => f.kind !== 'PostgresInstance').reduce((n, f) => n + f.resources, 0);
  const lines = [
    `${c.green(c.bold('Imported'))} ${total} resources from PostgresInstance/${report.instance} into ${report.out} (${report.catalogQueries} catalog queries).`,
    renderTable(['FILE', 'KIND', 'RESOURCES'], rows),
  ];
  if (!report.instanceWritten) lines.push(c.dim(`instance.yaml not written: PostgresInstance/${report.instance} is already declared there.`));
  if (report.skipped.length > 0) {
    lines.push('', c.bold('Left out:'));
    for (const s of report.skipped) lines.push(`  ${s.what} ${s.name}: ${s.reason}`);
  }
  lines.push('', c.dim('Run `steward plan` to check: it should show no changes.'));
  return lines.join('\n');
}

export function registerImport(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  const imports = program.command('import').description('Write manifests describing resources that already exist');
  imports
    .command('postgres')
    .description('Read a PostgreSQL server and write manifests for its roles, memberships, databases, schemas, grants and default privileges')
    .requiredOption('--instance <name>', 'the PostgresInstance, declared in the project, to read')
    .option('--database <db>', 'import this database (repeatable); default: all but templates and postgres', collect)
    .option('--out <dir>', 'directory to write the manifests to (default: the project directory)')
    .option('--force', 'overwrite files that already exist', false)
    .option('--json', 'print a JSON summary of what was written', false)
    .action(async (flags: ImportFlags, command: Command) => {
      ctx.json = flags.json;
      const options = ctx.project(command, 'import postgres');
      const report = await runImport(options, {
        instance: flags.instance,
        ...(flags.database !== undefined ? { databases: flags.database } : {}),
        ...(flags.out !== undefined ? { out: flags.out } : {}),
        force: flags.force,
      });
      ctx.output.out(flags.json ? JSON.stringify(importDocument(report), null, 2) : renderReport(report, ctx));
      exit(0);
    });
}
