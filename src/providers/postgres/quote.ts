import { escapeIdentifier, escapeLiteral } from 'pg';

/**
 * The one place SQL text is built from names and values that cannot be bind parameters (DDL takes
 * none). Everything else is sent as `$n` parameters.
 */
export function ident(name: string): string {
  return escapeIdentifier(name);
}

export function literal(value: string): string {
  return escapeLiteral(value);
}
