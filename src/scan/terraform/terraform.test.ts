import { describe, expect, it } from 'vitest';
import { parseHcl } from './hcl.js';
import { indexTerraformLines } from './lines.js';
import { normaliseTerraform } from './normalise.js';

const MAIN = `variable "env" {
  default = "prod"
}
variable "unknown" {}
locals {
  name = "\${var.env}-data"
  tags = { team = "platform" }
}
resource "aws_s3_bucket" "data" {
  bucket = local.name
  acl    = var.unknown
  tags   = local.tags
  versioning {
    enabled = true
  }
  policy = <<EOF
{ "Statement": { "Effect": "Allow", "Action": "s3:*", "Resource": "*" } }
EOF
  owner = local.tags.team
}
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
`;

describe('Terraform normalisation', () => {
  it('resolves variables with defaults, locals and interpolations; unknown values stay as the expression', async () => {
    const parsed = await parseHcl('main.tf', MAIN);
    if (!parsed.ok) throw new Error(parsed.message);
    const [bucket, module] = await normaliseTerraform([{ file: 'main.tf', text: MAIN, document: parsed.document }]);
    expect(bucket?.type).toBe('aws_s3_bucket');
    expect(bucket?.name).toBe('aws_s3_bucket.data');
    expect(bucket?.resource['bucket']).toBe('prod-data');
    expect(bucket?.resource['acl']).toBe('${var.unknown}');
    expect(bucket?.resource['tags']).toEqual({ team: 'platform' });
    expect(bucket?.resource['owner']).toBe('platform');
    expect(bucket?.resource['policy_statements']).toEqual([expect.objectContaining({ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] })]);
    expect(bucket?.location).toEqual({ file: 'main.tf', line: 9, column: 1 });
    expect(bucket?.attributeLines).toMatchObject({ acl: 11, versioning: 13, 'versioning.enabled': 14, policy: 16, owner: 19 });
    expect(module).toMatchObject({ type: 'module', name: 'module.vpc', resource: { version: '5.0.0' }, location: { line: 21 } });
  });

  it('reports a syntax error with its line', async () => {
    expect(await parseHcl('bad.tf', 'resource "x" "y" {\n  = 1\n}\n')).toMatchObject({ ok: false, line: 2 });
  });

  it('indexes lines outside strings and heredocs only', () => {
    const lines = indexTerraformLines('resource "a" "b" {\n  x = "{ not a block"\n  y = <<EOT\nresource "c" "d" {\nEOT\n  z {\n    w = 1\n  }\n}\n');
    expect([...lines.keys()]).toEqual(['resource.a.b']);
    expect(lines.get('resource.a.b')?.attributes).toEqual({ x: 2, y: 3, z: 6, 'z.w': 7 });
  });
});
