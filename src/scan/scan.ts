import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from '../manifest/index.js';
import type { ManifestText } from '../manifest/index.js';
import { normaliseCloudFormation } from './cloudformation.js';
import { classifyYaml, isBinary, looksLikeTerraform, looksLikeYaml } from './detect.js';
import { compileScanRules, evaluateScanRules, type CompiledScanRules } from './evaluate.js';
import { listFiles, MAX_FILE_BYTES } from './files.js';
import { normaliseKubernetes } from './kubernetes.js';
import { BUILTIN_SCAN_RULES } from './rules/index.js';
import { detectSecrets } from './secrets/detect.js';
import { normaliseSteward } from './steward.js';
import { SuppressionIndex } from './suppress.js';
import { parseHcl } from './terraform/hcl.js';
import { normaliseTerraform, type TerraformFile } from './terraform/normalise.js';
import type { ScanFinding, ScannedResource, ScanReport, ScanRule, SourceKind } from './types.js';
import { parseYamlDocuments } from './yaml/parse.js';

export interface ScanOptions {
  /** Rules to evaluate; the built-in scan rules by default. */
  readonly rules?: readonly ScanRule[];
  /** Whether to look for hard-coded secrets in every text file (default true). */
  readonly secrets?: boolean;
  /** How file names are shown; relative to the working directory by default. */
  readonly display?: (absolute: string) => string;
  /** Rules compiled beforehand (must be `rules`), to compile once across many scans. */
  readonly compiled?: CompiledScanRules;
}

/** In-memory input, for tests and the benchmark: a display name and the text. */
export interface SourceText {
  readonly file: string;
  readonly text: string;
}

/** "Could not parse" is a finding on the file, so every output format shows it; the scan goes on. */
export function parseFailure(file: string, kind: string, message: string, line = 1): ScanFinding {
  return {
    ruleId: 'STW-SCAN-PARSE',
    title: 'File could not be parsed',
    severity: 'medium',
    message: `could not parse ${kind}: ${message}`,
    remediation: 'Fix the syntax so the file can be scanned; until then none of its resources are checked.',
    compliance: [],
    checkov: [],
    resourceType: 'file',
    resourceName: file,
    location: { file, line, column: 1 },
  };
}

function compareFindings(a: ScanFinding, b: ScanFinding): number {
  const la = a.location;
  const lb = b.location;
  return (la.file < lb.file ? -1 : la.file > lb.file ? 1 : 0) || la.line - lb.line || la.column - lb.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

function applySuppressions(findings: readonly ScanFinding[], texts: ReadonlyMap<string, string>): readonly ScanFinding[] {
  const indexes = new Map<string, SuppressionIndex>();
  return findings.map((finding) => {
    const file = finding.location.file;
    const text = texts.get(file);
    if (text === undefined || !text.includes('steward:ignore')) return finding;
    let index = indexes.get(file);
    if (!index) indexes.set(file, (index = new SuppressionIndex(file, text)));
    const lines = finding.resourceLine === undefined ? [finding.location.line] : [finding.location.line, finding.resourceLine];
    const found = index.find(finding.ruleId, lines);
    if (found.suppression) return { ...finding, suppression: found.suppression };
    if (found.missingReason) return { ...finding, message: `${finding.message} (steward:ignore at line ${found.missingReason.line} has no "reason:" and is not honoured)` };
    return finding;
  });
}

/** What reading sources yields before any rule runs. */
export interface ReadSources {
  readonly files: readonly { readonly file: string; readonly kind: SourceKind }[];
  readonly resources: readonly ScannedResource[];
  /** Parse failures, manifest errors and (unless disabled) secrets. */
  readonly findings: readonly ScanFinding[];
}

/**
 * Recognises each file by its content (see detect.ts), parses and normalises it; Terraform files
 * are grouped by directory (one module: shared variables and locals). Every file is also searched
 * for secrets. Never throws for bad input.
 */
export async function readSources(sources: readonly SourceText[], options: Pick<ScanOptions, 'secrets'> = {}): Promise<ReadSources> {
  const files: { file: string; kind: SourceKind }[] = [];
  const findings: ScanFinding[] = [];
  const resources: ScannedResource[] = [];
  const modules = new Map<string, SourceText[]>();
  const stewardTexts: ManifestText[] = [];
  for (const source of sources) {
    const { file, text } = source;
    if (looksLikeTerraform(file, text)) {
      const dir = path.dirname(file);
      modules.set(dir, [...(modules.get(dir) ?? []), source]);
      files.push({ file, kind: 'terraform' });
    } else if (looksLikeYaml(file, text)) {
      const parsed = parseYamlDocuments(text);
      if (!parsed.ok) {
        findings.push(parseFailure(file, 'YAML/JSON', parsed.message, parsed.line));
        files.push({ file, kind: 'text' });
      } else {
        const kind = classifyYaml(parsed.documents);
        files.push({ file, kind });
        if (kind === 'steward') stewardTexts.push({ file, text });
        for (const document of parsed.documents) {
          if (kind === 'cloudformation') resources.push(...normaliseCloudFormation(file, document, parsed.lineCounter));
          if (kind === 'kubernetes') {
            const resource = normaliseKubernetes(file, document, parsed.lineCounter);
            if (resource) resources.push(resource);
          }
        }
      }
    } else {
      files.push({ file, kind: 'text' });
    }
    if (options.secrets !== false) findings.push(...(await detectSecrets(file, text)));
  }
  for (const group of modules.values()) {
    const parsed: TerraformFile[] = [];
    for (const { file, text } of group) {
      const result = await parseHcl(file, text);
      if (result.ok) parsed.push({ file, text, document: result.document });
      else findings.push(parseFailure(file, 'Terraform', result.message, result.line));
    }
    resources.push(...(await normaliseTerraform(parsed)));
  }
  const steward = normaliseSteward(stewardTexts);
  resources.push(...steward.resources);
  findings.push(...steward.findings);
  return { files, resources, findings };
}

/** Scans texts already read: {@link readSources}, then every rule, then inline suppressions. */
export async function scanTexts(sources: readonly SourceText[], options: ScanOptions = {}): Promise<ScanReport> {
  const started = performance.now();
  const rules = options.compiled ?? compileScanRules(options.rules ?? BUILTIN_SCAN_RULES);
  const read = await readSources(sources, options);
  const findings = [...read.findings, ...evaluateScanRules(rules, read.resources)];
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  return {
    files: read.files,
    resources: read.resources.length,
    rules: rules.compiled.length,
    findings: [...applySuppressions(findings, texts)].sort(compareFindings),
    durationMs: performance.now() - started,
  };
}

/**
 * Scans a file or a directory tree (hidden directories and node_modules skipped). Binary files
 * and files over {@link MAX_FILE_BYTES} are skipped. Throws only when `target` does not exist.
 */
export async function scanPath(target: string, options: ScanOptions = {}): Promise<ScanReport> {
  const started = performance.now();
  const display = options.display ?? ((absolute: string) => displayPath(absolute));
  const sources: SourceText[] = [];
  for (const absolute of await listFiles(target)) {
    const buffer = await readFile(absolute).catch(() => undefined);
    if (!buffer || buffer.length > MAX_FILE_BYTES || isBinary(buffer)) continue;
    sources.push({ file: display(absolute), text: buffer.toString('utf8') });
  }
  const report = await scanTexts(sources, options);
  return { ...report, durationMs: performance.now() - started };
}
