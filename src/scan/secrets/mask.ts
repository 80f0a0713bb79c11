/**
 * What a finding says instead of the secret: its length only. No prefix or suffix is shown, so
 * reports, SARIF uploads and CI logs never carry any part of the value.
 */
export function maskSecret(value: string): string {
  return `[masked, ${value.length} characters]`;
}
