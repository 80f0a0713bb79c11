/** What replaces a secret in logs. */
export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets whatever they hold (matched case-insensitively, anywhere in the key). */
const SENSITIVE_KEY = /pass(word|wd|phrase)?$|passw|secret|token|api[-_]?key|private[-_]?key|credential|authorization|cookie|signature|master[-_]?key|session[-_]?key|dsn$|connection[-_]?string/i;

/** `scheme://user:password@host` → `scheme://user:***@host`. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi;
/** libpq `key=value` connection strings and similar: `password=...`. */
const KEYWORD_SECRET = /\b(password|passwd|pwd|secret|token|api[-_]?key)\s*=\s*('[^']*'|"[^"]*"|[^\s;&,]+)/gi;

/** The shortest value taken for a secret when scrubbing known values (shorter ones would mangle text). */
const MIN_SECRET_LENGTH = 4;
const MAX_DEPTH = 8;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/**
 * Values of environment variables whose names say they hold secrets (PGPASSWORD, *_TOKEN,
 * STEWARD_MASTER_KEY...): scrubbed from every string logged, wherever they turn up.
 */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv): readonly string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && value.length >= MIN_SECRET_LENGTH && isSensitiveKey(name))
    .map(([, value]) => value!)
    .sort((a, b) => b.length - a.length);
}

export interface Redactor {
  /** A copy of `value` that is safe to log: sensitive keys, URL passwords and known secret values replaced. */
  redact(value: unknown): unknown;
  redactText(text: string): string;
}

export function createRedactor(secretValues: readonly string[] = []): Redactor {
  const known = [...new Set(secretValues.filter((v) => v.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);

  const redactText = (text: string): string => {
    let out = text.replace(URL_CREDENTIALS, '$1:***@').replace(KEYWORD_SECRET, '$1=***');
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };

  const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Truncated]';
    seen.add(value);
    if (value instanceof Error) {
      const error: Record<string, unknown> = { type: value.name, message: redactText(value.message) };
      if (value.stack !== undefined) error['stack'] = redactText(value.stack);
      const code = (value as { code?: unknown }).code;
      if (typeof code === 'string' || typeof code === 'number') error['code'] = code;
      if (value.cause !== undefined) error['cause'] = walk(value.cause, depth + 1, seen);
      return error;
    }
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, seen));
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSensitiveKey(key) && item !== null && item !== undefined && typeof item !== 'boolean' && !isEnvReference(item) ? REDACTED : walk(item, depth + 1, seen);
    }
    return out;
  };

  return { redact: (value) => walk(value, 0, new WeakSet()), redactText };
}

/** `{env: NAME}` names where a secret is, it is not one: kept, so logs say which variable was used. */
function isEnvReference(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { env?: unknown }).env === 'string';
}
