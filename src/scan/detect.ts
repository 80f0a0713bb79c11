import path from 'node:path';
import { isCloudFormation } from './cloudformation.js';
import { isKubernetesObject } from './kubernetes.js';
import type { SourceKind } from './types.js';
import type { YamlDocument } from './yaml/parse.js';

const HCL_BLOCK = /^\s*(resource|data|module|provider|variable|output|locals|terraform)(\s+"[^"\n]*")*\s*\{/m;
const YAML_EXTENSIONS: ReadonlySet<string> = new Set(['.yaml', '.yml', '.json', '.template']);

/**
 * Whether a file should be read as HCL. `.tf` always; other names only when the content has a
 * top-level Terraform block and does not look like YAML or JSON (so a shell script or README
 * mentioning `resource "x" {` in an example is still only searched for secrets unless it parses).
 */
export function looksLikeTerraform(file: string, text: string): boolean {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.tf') return true;
  if (extension === '.hcl' || extension === '') return HCL_BLOCK.test(text);
  return false;
}

/** Whether a file should be tried as YAML/JSON: by extension, or by a leading `{`, `---` or `apiVersion:`/`AWSTemplateFormatVersion`. */
export function looksLikeYaml(file: string, text: string): boolean {
  if (YAML_EXTENSIONS.has(path.extname(file).toLowerCase())) return true;
  return /^\s*(\{|---|apiVersion\s*:|AWSTemplateFormatVersion\s*:|Resources\s*:)/.test(text);
}

/** What parsed YAML documents are, by their content: the first recognised document decides. */
export function classifyYaml(documents: readonly YamlDocument[]): SourceKind {
  for (const { value } of documents) {
    if (isCloudFormation(value)) return 'cloudformation';
    if (typeof value === 'object' && value !== null && 'apiVersion' in value) {
      const apiVersion = (value as { apiVersion: unknown }).apiVersion;
      if (typeof apiVersion === 'string' && apiVersion.startsWith('steward.dev/')) return 'steward';
      if (isKubernetesObject(value)) return 'kubernetes';
    }
  }
  return 'text';
}

/** NUL bytes in the first 8 KiB: a binary file, not scanned. */
export function isBinary(buffer: Uint8Array): boolean {
  const end = Math.min(buffer.length, 8192);
  for (let i = 0; i < end; i++) if (buffer[i] === 0) return true;
  return false;
}
