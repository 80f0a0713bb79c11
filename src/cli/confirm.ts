import { createInterface } from 'node:readline';

/**
 * Asks on the terminal and resolves `true` only for the exact answer "yes", as Terraform does.
 * End of input (no terminal, closed stdin) counts as "no".
 */
export async function confirm(question: string, write: (text: string) => void): Promise<boolean> {
  write(question);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('line', (line) => resolve(line));
      rl.once('close', () => resolve(undefined));
    });
    return answer?.trim() === 'yes';
  } finally {
    rl.close();
  }
}
