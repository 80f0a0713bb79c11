import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { atLeast, isSeverity, SEVERITIES } from '../../scan/severity.js';
import type { CommandContext } from '../context.js';
import { scanJsonDocument } from '../render/scan-json.js';
import { renderScanJunit } from '../render/scan-junit.js';
import { scanSarifDocument } from '../render/scan-sarif.js';
import { renderScanTable } from '../render/scan-table.js';
import { stewardVersion } from '../version.js';

const FORMATS = ['table', 'json', 'sarif', 'junit'] as const;
type Format = (typeof FORMATS)[number];

interface ScanFlags {
  readonly format: string;
  readonly severityThreshold: string;
  readonly out?: string;
  readonly secrets: boolean;
}

/**
 * `steward scan PATH`: Steward manifests, Terraform, CloudFormation and Kubernetes YAML checked
 * against the built-in rules, plus secrets in every text file. Exit 1 when any unsuppressed
 * finding is at or above `--severity-threshold` (default high), or on an error; 0 otherwise.
 */
export function registerScan(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('scan')
    .description('Scan IaC (Terraform, CloudFormation, Kubernetes, Steward manifests) for misconfigurations and hard-coded secrets')
    .argument('<path>', 'file or directory to scan')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'table')
    .option('--severity-threshold <level>', `lowest severity that fails the exit code: ${SEVERITIES.join(', ')}`, 'high')
    .option('--out <file>', 'write the report to a file instead of standard output')
    .option('--no-secrets', 'do not search for hard-coded secrets')
    .action(async (target: string, flags: ScanFlags, command: Command) => {
      ctx.json = flags.format === 'json';
      ctx.project(command, 'scan');
      if (!(FORMATS as readonly string[]).includes(flags.format)) {
        throw new StewardError('invalid-input', `--format must be one of ${FORMATS.join(', ')}, not "${flags.format}"`);
      }
      const threshold = flags.severityThreshold;
      if (!isSeverity(threshold)) {
        throw new StewardError('invalid-input', `--severity-threshold must be one of ${SEVERITIES.join(', ')}, not "${threshold}"`);
      }
      // Loaded here, not with the CLI: the HCL parser and the secret rules are no other command's start-up.
      const { failingFindings, scanPath } = await import('../../scan/index.js');
      let report;
      try {
        report = await scanPath(target, { secrets: flags.secrets });
      } catch (error) {
        throw new StewardError('not-found', `cannot scan ${target}: it does not exist or cannot be read`, { cause: error });
      }
      const failed = failingFindings(report.findings, threshold).length > 0;
      const format = flags.format as Format;
      const out = ctx.output;
      const text =
        format === 'json'
          ? JSON.stringify(scanJsonDocument(report, threshold, failed), null, 2)
          : format === 'sarif'
            ? JSON.stringify(scanSarifDocument(report, stewardVersion()), null, 2)
            : format === 'junit'
              ? renderScanJunit(report, (s) => isSeverity(s) && atLeast(s, threshold))
              : renderScanTable(report, flags.out === undefined ? out.color : noColor(out.color));
      if (flags.out !== undefined) {
        await writeFile(path.resolve(flags.out), `${text}\n`);
        out.err(`Wrote ${format} report to ${flags.out}: ${report.findings.length} findings.`);
      } else {
        out.out(text);
      }
      exit(failed ? 1 : 0);
    });
}

/** Colours off for a report written to a file. */
function noColor<T extends object>(colors: T): T {
  return Object.fromEntries(Object.keys(colors).map((k) => [k, (s: string) => s])) as T;
}
