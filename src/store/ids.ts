const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` is a UUID as PostgreSQL's `uuid` type accepts it from us (canonical form). */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
