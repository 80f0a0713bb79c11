import type { Command } from 'commander';
import { loadProject, projectPolicies } from '../../app/index.js';
import { BUILTIN_TESTS, prepareRules, runRuleTests, type RuleTestResult } from '../../policy/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../render/table.js';

function caseLine(r: RuleTestResult, color: CommandContext['output']['color']): string {
  const where = r.test.source ? ` (${r.test.source.file}:${r.test.source.line})` : ' (built-in)';
  const head = `${r.ok ? color.green('PASS') : color.red(color.bold('FAIL'))}  ${r.test.rule}: ${r.test.name}${where}`;
  if (r.ok) return head;
  return `${head}\n      expected ${r.test.expect}, got ${r.actual}${r.detail ? `: ${r.detail}` : ''}`;
}

export function registerPolicy(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  const policy = program.command('policy').description('Inspect and test the policy rules that gate plan and apply');

  policy
    .command('list')
    .description('Print the rules in force: the built-in pack plus the Policy manifests of the project')
    .option('--json', 'print the rules as JSON', false)
    .action(async (flags: { readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      const options = ctx.project(command, 'policy list');
      const set = await projectPolicies(await loadProject(options));
      const out = ctx.output;
      if (flags.json) {
        const rules = set.rules.map((r) => ({
          id: r.id,
          title: r.title,
          severity: r.severity,
          enforcement: r.enforcement,
          match: r.match,
          compliance: r.compliance,
          policy: r.policy ?? null,
          location: r.source ?? null,
        }));
        out.out(JSON.stringify({ formatVersion: '1', command: 'policy list', rules, disabled: set.disabled, overrides: set.overrides, waivers: set.waivers }, null, 2));
        return exit(0);
      }
      const rows = set.rules.map((r) => [r.id, r.severity, r.enforcement, r.match.join(','), r.source ? `${r.source.file}:${r.source.line}` : 'built-in', r.title]);
      out.out(renderTable(['RULE', 'SEVERITY', 'ENFORCEMENT', 'MATCH', 'SOURCE', 'TITLE'], rows));
      for (const d of set.disabled) out.out(`${out.color.dim('#')} ${d.ruleId} disabled by ${d.by} (${d.location.file}:${d.location.line})`);
      for (const o of set.overrides) out.out(`${out.color.dim('#')} ${o.ruleId} enforced as ${o.to} instead of ${o.from} by ${o.by} (${o.location.file}:${o.location.line})`);
      for (const w of set.waivers) out.out(`${out.color.dim('#')} ${w.address} waives ${w.rule} for ${w.resources.join(', ')} until ${w.expires} (owner ${w.owner})`);
      exit(0);
    });

  policy
    .command('test')
    .argument('[dir]', 'directory holding the Policy manifests whose tests to run (default: the project directory)')
    .description('Run the test cases of the Policy manifests in DIR (spec.tests), like opa test; exit 1 on any failure')
    .option('--builtin', 'also run the test cases of the built-in rules', false)
    .option('--json', 'print the results as JSON', false)
    .action(async (dir: string | undefined, flags: { readonly builtin: boolean; readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      const options = ctx.project(command, 'policy test');
      const project = await loadProject({ dir: dir ?? options.dir });
      const set = await projectPolicies(project);
      const tests = [...(flags.builtin ? BUILTIN_TESTS : []), ...set.tests];
      const results = runRuleTests(tests, prepareRules(set.rules, project.kinds).rules, project.kinds);
      const failed = results.filter((r) => !r.ok).length;
      const out = ctx.output;
      if (flags.json) {
        const cases = results.map((r) => ({ rule: r.test.rule, name: r.test.name, expect: r.test.expect, actual: r.actual, ok: r.ok, detail: r.detail ?? null, location: r.test.source ?? null }));
        out.out(JSON.stringify({ formatVersion: '1', command: 'policy test', ok: failed === 0 && results.length > 0, passed: results.length - failed, failed, cases }, null, 2));
      } else {
        for (const r of results) out.out(caseLine(r, out.color));
        if (results.length === 0) out.err(`No test cases found in ${dir ?? options.dir}: add spec.tests to a Policy (or pass --builtin).`);
        else out.out(`\n${failed === 0 ? out.color.green(out.color.bold('PASS')) : out.color.red(out.color.bold('FAIL'))}: ${results.length - failed}/${results.length} cases passed.`);
      }
      // No case run is a failure too: a CI step that tests nothing must not look green.
      exit(failed > 0 || results.length === 0 ? 1 : 0);
    });
}
