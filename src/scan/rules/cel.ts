/**
 * Small builders of CEL text shared by the built-in rules. They only produce strings: the rules
 * stay plain data and are evaluated by the policy engine like any user rule. Terraform values may
 * be unresolved expressions (strings starting with `${`) or quoted numbers/booleans, so each
 * helper checks the value's type before comparing it.
 */

/** `path` is set and is true (`true` or `"true"`). */
export const isTrue = (path: string): string => `(${presence(path)} && (${path} == true || ${path} == "true"))`;

/** `path` is set and is false (`false` or `"false"`). */
export const isFalse = (path: string): string => `(${presence(path)} && (${path} == false || ${path} == "false"))`;

/** `has()` for every step of a dotted path below `resource` (or any variable). */
export function presence(path: string): string {
  const parts = path.split('.');
  const checks: string[] = [];
  for (let i = 2; i <= parts.length; i++) checks.push(`has(${parts.slice(0, i).join('.')})`);
  return checks.length === 0 ? 'true' : checks.join(' && ');
}

/** A number, or a string holding digits, as a number; -99999 when unknown (never a valid port or count). */
export const num = (expr: string): string =>
  `(type(${expr}) == int || type(${expr}) == uint || type(${expr}) == double ? ${expr} : (type(${expr}) == string && ${expr}.matches("^[0-9]+$") ? int(${expr}) : -99999))`;

/** `path` is a list (a Terraform block list or a YAML sequence). */
export const isList = (path: string): string => `(${presence(path)} && type(${path}) == list)`;

/** The block list at `path` has an element for which `predicate` (over `variable`) holds. */
export const anyBlock = (path: string, variable: string, predicate: string): string =>
  `(${isList(path)} && ${path}.exists(${variable}, type(${variable}) == map && ${predicate}))`;

/** A Terraform block list with at least one element (e.g. `versioning { ... }`). */
export const hasBlock = (path: string): string => `(${isList(path)} && ${path}.size() > 0)`;

/** A related Terraform resource of `type` exists for which `predicate` (over `r`) holds. */
export const hasRelated = (type: string, predicate = 'true'): string =>
  `(has(related.${type}) && related.${type}.exists(r, ${predicate}))`;

/** A literal (known, non-empty) string: not an unresolved `${...}` expression. */
export const isLiteralString = (path: string): string =>
  `(${presence(path)} && type(${path}) == string && ${path} != "" && !${path}.contains("\${") && !${path}.startsWith("arn:aws:secretsmanager") )`;

/** A CloudFormation value that is a literal string (not `{Ref: ...}` or another intrinsic). */
export const cfnLiteral = (path: string): string => `(${presence(path)} && type(${path}) == string && ${path} != "")`;
