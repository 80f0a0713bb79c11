/** `Kind/name`, the identity of a resource in plans, state and the audit log. */
export type ResourceAddress = string & { readonly __brand: 'ResourceAddress' };

export function addressOf(kind: string, name: string): ResourceAddress {
  return `${kind}/${name}` as ResourceAddress;
}

export function parseAddress(text: string): { readonly kind: string; readonly name: string } | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) return undefined;
  return { kind: text.slice(0, slash), name: text.slice(slash + 1) };
}

export function compareAddresses(a: ResourceAddress, b: ResourceAddress): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
