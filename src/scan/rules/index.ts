import type { ScanRule } from '../types.js';
import { AWS_COMPUTE_RULES } from './aws-compute.js';
import { AWS_DATABASE_RULES } from './aws-database.js';
import { AWS_IAM_RULES } from './aws-iam.js';
import { AWS_LOGGING_RULES } from './aws-logging.js';
import { AWS_NETWORK_RULES } from './aws-network.js';
import { AWS_STORAGE_RULES } from './aws-storage.js';
import { CLOUDFORMATION_RULES } from './cloudformation.js';
import { KUBERNETES_RULES } from './kubernetes.js';
import { TERRAFORM_RULES } from './terraform-general.js';

/** Every built-in IaC rule, in a stable order (ids are unique; a test checks it). */
export const BUILTIN_SCAN_RULES: readonly ScanRule[] = [
  ...AWS_STORAGE_RULES,
  ...AWS_NETWORK_RULES,
  ...AWS_IAM_RULES,
  ...AWS_DATABASE_RULES,
  ...AWS_COMPUTE_RULES,
  ...AWS_LOGGING_RULES,
  ...TERRAFORM_RULES,
  ...CLOUDFORMATION_RULES,
  ...KUBERNETES_RULES,
];
