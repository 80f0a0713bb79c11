import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { manifestJsonSchema } from '../../manifest/index.js';
import type { CommandContext } from '../context.js';

export function registerSchema(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('schema')
    .description('Print the JSON Schema of Steward manifests, for editor completion and validation')
    .option('-o, --out <file>', 'write it to a file instead of standard output')
    .action(async (flags: { readonly out?: string }, command: Command) => {
      ctx.project(command, 'schema');
      const text = `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
      if (flags.out) {
        await writeFile(flags.out, text);
        ctx.output.err(`Wrote the manifest JSON Schema to ${flags.out}`);
      } else {
        process.stdout.write(text);
      }
      exit(0);
    });
}
