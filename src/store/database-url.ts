/**
 * A database URL as it may be shown to a person: the password (in the authority or as a
 * `password=` parameter) is replaced by `****`. Never print or store the unmasked URL.
 */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '****';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '****');
    return parsed.toString();
  } catch {
    // Not a URL (e.g. a `key=value` connection string): mask any password assignment.
    return url.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1****');
  }
}
