import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** Where a command writes: results to `out`, progress and problems to `err`. */
export interface Output {
  readonly color: Colors;
  out(text: string): void;
  err(text: string): void;
}

/** Colour when the stream is a terminal, unless NO_COLOR or --no-color; FORCE_COLOR forces it. */
export function consoleOutput(options: { readonly color?: boolean } = {}): Output {
  const env = process.env;
  const enabled =
    options.color === false || 'NO_COLOR' in env
      ? false
      : 'FORCE_COLOR' in env
        ? env['FORCE_COLOR'] !== '0'
        : process.stdout.isTTY === true;
  return {
    color: pc.createColors(enabled),
    out: (text) => {
      process.stdout.write(`${text}\n`);
    },
    err: (text) => {
      process.stderr.write(`${text}\n`);
    },
  };
}
