import type { Command } from 'commander';
import { loadProject, projectPolicies } from '../../app/index.js';
import type { CommandContext } from '../context.js';
import { counted } from '../render/values.js';

export function registerValidate(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('validate')
    .description('Check the manifests (syntax, schema, names, references, cycles) without contacting anything')
    .option('--json', 'print the result as JSON', false)
    .action(async (flags: { readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      const options = ctx.project(command, 'validate');
      const project = await loadProject(options);
      // Policy rules are part of the input: a rule that does not compile is a manifest error too.
      const policies = await projectPolicies(project);
      const out = ctx.output;
      if (flags.json) {
        out.out(JSON.stringify({ formatVersion: '1', command: 'validate', ok: true, resources: project.resources.length, files: project.files, diagnostics: [] }, null, 2));
      } else {
        out.out(
          `${out.color.green(out.color.bold('Success!'))} ${counted(project.resources.length, 'resource')} in ${counted(project.files.length, 'file')} ${project.resources.length === 1 ? 'is' : 'are'} valid; ${counted(policies.rules.length, 'policy rule')} ${policies.rules.length === 1 ? 'compiles' : 'compile'}.`,
        );
      }
      exit(0);
    });
}
