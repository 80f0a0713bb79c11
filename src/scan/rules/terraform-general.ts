import type { ScanRule } from '../types.js';
import { isLiteralString } from './cel.js';
import { deny } from './define.js';

/** Module sources fetched from a registry or VCS must be pinned: a version, or a ref that is a tag or commit. */
const REGISTRY = '^[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$|^[A-Za-z0-9.-]+\\\\.[a-z]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$';
const REMOTE = '^(git::|github\\\\.com/|bitbucket\\\\.org/|git@|hg::|https?://|s3::|gcs::)';

/** Rules about Terraform itself: module pinning and credentials in provider or resource arguments. */
export const TERRAFORM_RULES: readonly ScanRule[] = [
  deny({
    id: 'STW-TF-001',
    title: 'Module source is not pinned to a version',
    severity: 'medium',
    match: ['module'],
    condition: `has(resource.source) && type(resource.source) == string && ((resource.source.matches("${REGISTRY}") && (!has(resource.version) || resource.version == "" || (type(resource.version) == string && resource.version.matches("^[~>=<! ]*$")))) || (resource.source.matches("${REMOTE}") && !resource.source.matches("[?&]ref=[^&]+")))`,
    message: 'module "{{ resource.source }}" can change under you: no version or ref',
    remediation: 'Pin registry modules with version = "x.y.z" and git sources with ?ref=<tag or commit>.',
    compliance: ['SOC 2 CC8.1'],
    attribute: 'source',
  }),
  deny({
    id: 'STW-TF-002',
    title: 'Hard-coded AWS credentials in the provider block',
    severity: 'critical',
    match: ['provider'],
    condition: `${isLiteralString('resource.access_key')} || ${isLiteralString('resource.secret_key')}`,
    message: 'the provider block holds a literal access key or secret key',
    remediation: 'Use the standard credential chain (environment, shared config, instance role) instead.',
    compliance: ['CIS AWS 1.4', 'SOC 2 CC6.1'],
    checkov: ['CKV_AWS_41'],
    attribute: 'secret_key',
  }),
  deny({
    id: 'STW-TF-003',
    title: 'Hard-coded credential in a resource argument',
    severity: 'high',
    match: [
      'aws_iam_user_login_profile', 'aws_iam_access_key', 'aws_elasticache_user', 'aws_mq_broker', 'aws_dms_endpoint', 'aws_secretsmanager_secret_version', 'aws_ssm_parameter', 'aws_opensearch_domain',
      'aws_elasticsearch_domain', 'aws_directory_service_directory', 'aws_datasync_location_object_storage',
    ],
    condition: `${isLiteralString('resource.password')} || ${isLiteralString('resource.master_password')} || ${isLiteralString('resource.secret_string')} || ${isLiteralString('resource.secret_key')} || ${isLiteralString('resource.auth_token')} || (has(resource.type) && resource.type == "SecureString" && ${isLiteralString('resource.value')})`,
    message: 'a secret is written as a literal in the resource arguments (and in the state)',
    remediation: 'Generate it (random_password), or read it from a secret store; never commit it.',
    compliance: ['SOC 2 CC6.1', 'PCI DSS 8.2.1'],
  }),
];
