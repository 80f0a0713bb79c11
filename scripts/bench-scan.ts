import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { claimedChecks, measureAgreement } from '../src/scan/checkov/agreement.js';
import { findCorpus } from '../src/scan/checkov/corpus.js';
import { BUILTIN_SCAN_RULES, compileScanRules, evaluateScanRules, scanPath, type ScannedResource } from '../src/scan/index.js';
import { readSources } from '../src/scan/scan.js';
import { checkoutRoot } from './package-root.js';

/**
 * `npm run bench:scan [-- --json]`: the scanner measured side by side with Checkov on the shared
 * corpus (../shared/corpus beside the checkout): agreement with Checkov's own fixture expectations
 * for every check a rule claims, TerraGoat findings against Checkov's listed ones, TerraGoat scan
 * time, and CEL evaluation throughput over 10,000 resources.
 */
const root = checkoutRoot(import.meta.url);
const json = process.argv.includes('--json');

interface CheckovFinding {
  readonly check_id: string;
  readonly file: string;
  readonly resource: string;
}

async function fixtureResources(): Promise<readonly ScannedResource[]> {
  const dir = path.join(root, 'src/scan/rules/fixtures');
  const names = await readdir(dir);
  const sources = await Promise.all(names.map(async (file) => ({ file, text: await readFile(path.join(dir, file), 'utf8') })));
  return (await readSources(sources, { secrets: false })).resources;
}

async function main(): Promise<void> {
  let corpus: string;
  try {
    corpus = findCorpus(root);
  } catch (error) {
    process.stderr.write(`bench:scan: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const rules = BUILTIN_SCAN_RULES;
  const claims = claimedChecks(rules);

  const agreement = await measureAgreement(corpus, rules);
  const measured = agreement.filter((a) => a.measured);
  const agreeing = measured.filter((a) => a.agrees);

  const terragoat = path.join(corpus, 'terragoat');
  await scanPath(path.join(terragoat, 'terraform'), { display: (a) => a }); // warm-up: WASM and secretlint load once
  const started = performance.now();
  const report = await scanPath(path.join(terragoat, 'terraform'), { display: (a) => path.relative(path.join(terragoat, 'terraform'), a) });
  const terragoatScanMs = performance.now() - started;
  const listed = (JSON.parse(await readFile(path.join(terragoat, 'README_checkov_findings.json'), 'utf8')) as CheckovFinding[]).filter((f) => claims.has(f.check_id));
  const ours = new Set<string>();
  // Checkov names a provider block `aws.<alias>`; Steward `provider.aws.<alias>`.
  for (const f of report.findings) for (const check of f.checkov) ours.add(`${check} ${f.resourceName.replace(/^provider\./, '')}`);
  const theirs = new Set(listed.map((f) => `${f.check_id} ${f.resource}`));
  const matched = [...theirs].filter((k) => ours.has(k));
  const missed = [...theirs].filter((k) => !ours.has(k));
  const extra = [...ours].filter((k) => !theirs.has(k));

  const base = await fixtureResources();
  const resources: ScannedResource[] = [];
  for (let i = 0; resources.length < 10_000; i++) {
    const r = base[i % base.length];
    if (r) resources.push({ ...r, name: `${r.name}_${i}` });
  }
  const compiled = compileScanRules(rules);
  evaluateScanRules(compiled, resources.slice(0, 500));
  const evalStart = performance.now();
  const evalFindings = evaluateScanRules(compiled, resources).length;
  const evalMsFor10kResources = performance.now() - evalStart;

  const result = {
    rules: rules.length,
    checkovChecksCovered: claims.size,
    checkovChecksMeasured: measured.length,
    checkovChecksAgreeing: agreeing.length,
    checkovAgreementPct: measured.length === 0 ? 0 : Math.round((1000 * agreeing.length) / measured.length) / 10,
    checkovDisagreements: measured.filter((a) => !a.agrees).map((a) => ({ check: a.check, missed: a.missed, extra: a.extra })),
    terragoat: { findings: report.findings.length, checkovListedForCoveredChecks: theirs.size, matched: matched.length, missed: missed.length, extra: extra.length, missedList: missed, extraList: extra },
    terragoatScanMs: Math.round(terragoatScanMs),
    evalMsFor10kResources: Math.round(evalMsFor10kResources),
    evalFindingsFor10kResources: evalFindings,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const rows: [string, string, string][] = [
    ['built-in IaC rules', `${result.rules}`, '—'],
    ['Checkov checks claimed', `${result.checkovChecksCovered}`, '—'],
    ['claimed checks with Checkov fixtures', `${measured.length}`, `${measured.length}`],
    ['  agreeing (failing and passing sets equal)', `${agreeing.length} (${result.checkovAgreementPct}%)`, '100%'],
    ['TerraGoat findings (all rules + secrets)', `${report.findings.length}`, `${listed.length} listed for covered checks`],
    ['  covered-check findings matched', `${matched.length}`, `${theirs.size}`],
    ['  missed / extra', `${missed.length} / ${extra.length}`, '0 / 0'],
    ['TerraGoat scan time', `${result.terragoatScanMs} ms`, '—'],
    ['CEL evaluation, 10,000 resources x all rules', `${result.evalMsFor10kResources} ms`, '< 1000 ms'],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length), 'Steward'.length);
  process.stdout.write(`${'metric'.padEnd(w0)}  ${'Steward'.padEnd(w1)}  Checkov / target\n`);
  for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}\n`);
  if (missed.length > 0) process.stdout.write(`\nmissed on TerraGoat: ${missed.join(', ')}\n`);
  if (extra.length > 0) process.stdout.write(`extra on TerraGoat: ${extra.join(', ')}\n`);
}

await main();
