import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { REDACTED, createRedactor, secretValuesFromEnv } from './redact.js';

function capture(): { stream: PassThrough; lines: () => Record<string, unknown>[]; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRETS = ['s3cr3t-password', 'tok_live_abcdef123456', 'hunter2-from-env', 'Zm9vYmFyYmF6cXV4'];

describe('logger', () => {
  it('writes one JSON object per line with level name, ISO time and message', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, level: 'debug', base: { agent: 'a1' } });
    log.debug({ address: 'PostgresRole/app' }, 'drift detected');
    log.info('hello %s', 'world');
    log.trace('not at this level');
    const lines = out.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'debug', msg: 'drift detected', address: 'PostgresRole/app', agent: 'a1' });
    expect(lines[0]?.['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'hello world' });
  });

  it('never writes a secret value: sensitive keys, URL passwords, connection strings, errors, bindings, known values', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, secretValues: ['hunter2-from-env'] });
    log.info({ password: 's3cr3t-password', nested: { deeper: { apiToken: 'tok_live_abcdef123456' } }, passwordEnv: { env: 'PGPASSWORD' } }, 'connecting');
    log.info({ url: 'postgres://app:s3cr3t-password@db:5432/app' }, 'url in a field');
    log.warn('libpq says host=db password=s3cr3t-password user=app');
    log.error({ err: new Error('auth failed for postgres://app:hunter2-from-env@db/app') }, 'failed');
    log.child({ authorization: 'Bearer Zm9vYmFyYmF6cXV4' }).child({ run: 'r1' }).info('child with a secret binding');
    log.info({ list: [{ secret: 'Zm9vYmFyYmF6cXV4' }] }, 'the value hunter2-from-env appeared in text');
    const text = out.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const lines = out.lines();
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatchObject({ password: REDACTED, nested: { deeper: { apiToken: REDACTED } }, passwordEnv: { env: 'PGPASSWORD' } });
    expect(lines[1]?.['url']).toBe('postgres://app:***@db:5432/app');
    expect(lines[2]?.['msg']).toBe('libpq says host=db password=*** user=app');
    expect((lines[3]?.['err'] as { message: string }).message).toBe('auth failed for postgres://app:***@db/app');
    expect(lines[4]?.['authorization']).toBe(REDACTED);
    expect(lines[5]?.['msg']).toBe(`the value ${REDACTED} appeared in text`);
  });

  it('takes secret values from secret-named environment variables by default', () => {
    expect(secretValuesFromEnv({ PGPASSWORD: 'pw-1234', GITHUB_TOKEN: 'ghp_x1y2', HOME: '/root', STEWARD_MASTER_KEY: 'k3y-material', SHORT_TOKEN: 'ab' })).toEqual([
      'k3y-material',
      'ghp_x1y2',
      'pw-1234',
    ]);
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ level: 'verbose' })).toThrow(/log level "verbose" is not one of/);
  });

  it('redacts cyclic and deep values without failing', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic['self'] = cyclic;
    expect(createRedactor().redact(cyclic)).toEqual({ name: 'x', self: '[Circular]' });
  });
});
