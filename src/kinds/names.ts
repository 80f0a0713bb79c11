/** Names of resources that are not themselves PostgreSQL identifiers (memberships, grants, ...). */
export function resourceNameProblem(name: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(name)
    ? undefined
    : 'must be 1-253 letters, digits, ".", "_" or "-", starting with a letter or digit';
}
