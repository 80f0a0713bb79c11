import { describe, expect, it } from 'vitest';
import { maskDatabaseUrl } from './database-url.js';

describe('maskDatabaseUrl', () => {
  it('masks the password in the authority and in parameters', () => {
    expect(maskDatabaseUrl('postgres://steward:s3cr%40t@db.example:5432/state')).toBe(
      'postgres://steward:****@db.example:5432/state',
    );
    expect(maskDatabaseUrl('postgresql://db.example/state?user=steward&password=s3cret&sslmode=require')).toBe(
      'postgresql://db.example/state?user=steward&password=****&sslmode=require',
    );
  });

  it('leaves a URL without a password as it is', () => {
    expect(maskDatabaseUrl('postgres://steward@db.example/state')).toBe('postgres://steward@db.example/state');
  });

  it('masks key=value connection strings', () => {
    expect(maskDatabaseUrl("host=db user=steward password='it\\'s secret' dbname=state")).toBe(
      'host=db user=steward password=**** dbname=state',
    );
    expect(maskDatabaseUrl('host=db password=s3cret dbname=state')).toBe('host=db password=**** dbname=state');
  });
});
