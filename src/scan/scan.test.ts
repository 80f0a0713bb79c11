import { describe, expect, it } from 'vitest';
import { readSources, scanTexts } from './scan.js';

const CFN = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "\${AWS::StackName}-data"
      AccessControl: PublicRead
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Join ["-", [!Ref Env, role]]
      Arn: !GetAtt Data.Arn
`;

const K8S = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: ops
spec:
  jobTemplate:
    spec:
      template:
        spec:
          hostPID: true
          containers:
            - name: job
              image: busybox:1.36
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
`;

const STEWARD = `apiVersion: steward.dev/v1alpha1
kind: PostgresInstance
metadata:
  name: main
spec:
  host: localhost
  port: 5432
  user: admin
  password: { env: PGPASSWORD }
`;

describe('reading sources', () => {
  it('recognises each kind by content and normalises it', async () => {
    const read = await readSources(
      [
        { file: 'stack.template', text: CFN },
        { file: 'jobs.yaml', text: K8S },
        { file: 'steward.yaml', text: STEWARD },
        { file: 'config.json', text: '{"name": "app"}' },
        { file: 'Makefile', text: 'all:\n\techo hi\n' },
      ],
      { secrets: false },
    );
    expect(read.files.map((f) => f.kind)).toEqual(['cloudformation', 'kubernetes', 'steward', 'text', 'text']);
    const byName = new Map(read.resources.map((r) => [r.name, r]));
    expect(byName.get('Data')).toMatchObject({ type: 'AWS::S3::Bucket', location: { file: 'stack.template', line: 3 }, resource: { Properties: { BucketName: { 'Fn::Sub': '${AWS::StackName}-data' } } } });
    expect(byName.get('Data')?.attributeLines?.['Properties.AccessControl']).toBe(7);
    expect(byName.get('Role')?.resource).toMatchObject({ Properties: { RoleName: { 'Fn::Join': ['-', [{ Ref: 'Env' }, 'role']] }, Arn: { 'Fn::GetAtt': ['Data', 'Arn'] } } });
    const cron = byName.get('ops/nightly');
    expect(cron).toMatchObject({ type: 'kubernetes:CronJob', resource: { podSpec: { hostPID: true }, allContainers: [{ name: 'job' }] } });
    expect(cron?.attributeLines?.['podSpec.hostPID']).toBe(11);
    expect(byName.get('default/web')?.type).toBe('kubernetes:Service');
    expect(byName.get('main')).toMatchObject({ type: 'PostgresInstance', source: 'steward', location: { file: 'steward.yaml' } });
  });

  it('reports an unparseable file as a finding and goes on', async () => {
    const report = await scanTexts([
      { file: 'bad.yaml', text: 'a: [1, 2\nb: }\n' },
      { file: 'bad.tf', text: 'resource "x" {\n' },
      { file: 'good.tf', text: 'resource "aws_ebs_volume" "v" {\n  size = 1\n}\n' },
    ]);
    expect(report.findings.filter((f) => f.ruleId === 'STW-SCAN-PARSE').map((f) => f.location.file)).toEqual(['bad.tf', 'bad.yaml']);
    expect(report.findings.some((f) => f.ruleId === 'STW-AWS-EBS-001' && f.location.file === 'good.tf')).toBe(true);
  });

  it('puts a finding on the offending attribute line', async () => {
    const report = await scanTexts([{ file: 'jobs.yaml', text: K8S }], { secrets: false });
    expect(report.findings.find((f) => f.ruleId === 'STW-K8S-003')?.location.line).toBe(11);
  });

  it('honours suppressions with a reason only', async () => {
    const text = `resource "aws_ebs_volume" "a" { # steward:ignore STW-AWS-EBS-001 reason: scratch volume
  size = 1
}
# steward:ignore STW-AWS-EBS-003
resource "aws_ebs_volume" "b" {
  size = 1
}
`;
    const report = await scanTexts([{ file: 'v.tf', text }], { secrets: false });
    const a = report.findings.find((f) => f.ruleId === 'STW-AWS-EBS-001' && f.resourceName === 'aws_ebs_volume.a');
    expect(a?.suppression).toEqual({ reason: 'scratch volume', location: { file: 'v.tf', line: 1, column: 35 } });
    const b = report.findings.find((f) => f.ruleId === 'STW-AWS-EBS-003' && f.resourceName === 'aws_ebs_volume.b');
    expect(b?.suppression).toBeUndefined();
    expect(b?.message).toContain('has no "reason:"');
  });
});

describe('Steward manifests under the policy rules that gate plans', () => {
  const instance = `apiVersion: steward.dev/v1alpha1
kind: PostgresInstance
metadata: { name: main }
spec: { password: { env: PGPASSWORD } }
`;
  const role = `---
apiVersion: steward.dev/v1alpha1
kind: PostgresRole
metadata: { name: agent, annotations: { steward.dev/owner: team@example.com } }
spec: { instance: main, superuser: true, comment: an agent }
`;
  it('reports the built-in pack at the resource line, and honours a live waiver', async () => {
    const report = await scanTexts([{ file: 'steward.yaml', text: instance + role }], { secrets: false });
    const superuser = report.findings.find((f) => f.ruleId === 'STW-PG-001');
    expect(superuser).toMatchObject({ severity: 'critical', resourceType: 'PostgresRole', resourceName: 'agent', location: { file: 'steward.yaml', line: 6 } });

    const waiver = `---
apiVersion: steward.dev/v1alpha1
kind: PolicyWaiver
metadata: { name: agent-superuser }
spec: { rule: STW-PG-001, resources: [PostgresRole/agent], reason: migration in progress, owner: dba@example.com, expires: "2999-01-01" }
`;
    const waived = await scanTexts([{ file: 'steward.yaml', text: instance + role + waiver }], { secrets: false });
    expect(waived.findings.find((f) => f.ruleId === 'STW-PG-001')).toBeUndefined();
  });
});
