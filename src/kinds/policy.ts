import { z } from 'zod';
import type { KindDefinition } from '../core/index.js';
import { configKind } from './config-kind.js';

export const POLICY = 'Policy';

const ruleIdSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must be a rule id such as ACME-PG-001 (letters, digits, ".", "_", "-")')
  .describe('Identifier of a rule, unique across the built-in pack and every Policy of the project');

export const severitySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export const enforcementSchema = z
  .enum(['deny', 'warn', 'audit'])
  .describe('deny blocks plan and apply, warn is shown, audit is only recorded');

export const policyRuleSchema = z
  .strictObject({
    id: ruleIdSchema,
    title: z.string().min(1).describe('One line saying what the rule requires'),
    severity: severitySchema.describe('How bad a violation is'),
    match: z.array(z.string().min(1)).min(1).describe('Kinds (PostgresRole) or IaC resource types (aws_s3_bucket) the rule applies to'),
    condition: z
      .string()
      .min(1)
      .describe('CEL expression over `resource` (and `change`, `now`) that is TRUE WHEN THE RESOURCE VIOLATES the rule'),
    message: z.string().min(1).describe('Shown for each violation; may interpolate CEL as {{ resource.metadata.name }}'),
    enforcement: enforcementSchema.default('deny'),
    remediation: z.string().default('').describe('How to fix a violation'),
    compliance: z.array(z.string().min(1)).default([]).describe('Compliance references, e.g. "SOC 2 CC6.1", "PCI DSS 7.2"'),
  })
  .describe('One policy rule');

/** A rule's own test case, run by `steward policy test` (like `opa test`). */
export const policyTestSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('What the case shows'),
    rule: ruleIdSchema.describe('The rule under test (a rule of this Policy or a built-in one)'),
    expect: z.enum(['violation', 'pass']).describe('Whether the rule must report a violation'),
    resource: z
      .strictObject({
        apiVersion: z.string().optional(),
        kind: z.string().min(1),
        metadata: z.record(z.string(), z.unknown()).default({}),
        spec: z.record(z.string(), z.unknown()).default({}),
      })
      .describe('The resource as written in a manifest; the kind\'s defaults are applied when its spec validates'),
    change: z
      .strictObject({
        action: z.enum(['create', 'update', 'replace', 'delete']),
        before: z.record(z.string(), z.unknown()).nullable().default(null),
        after: z.record(z.string(), z.unknown()).nullable().default(null),
      })
      .optional()
      .describe('The planned change, for rules over `change`'),
    now: z.iso.datetime({ offset: true }).optional().describe('The time the rule sees as `now` (default: the real time)'),
  })
  .describe('A test case for a rule');

export const policySpecSchema = z
  .strictObject({
    description: z.string().optional(),
    rules: z.array(policyRuleSchema).default([]).describe('Rules added to the built-in pack'),
    disabled: z.array(ruleIdSchema).default([]).describe('Rules (built-in or not) switched off for this project; each is reported'),
    enforce: z
      .record(ruleIdSchema, enforcementSchema)
      .default({})
      .describe('Enforcement of existing rules changed for this project, e.g. {STW-PG-030: deny}'),
    tests: z.array(policyTestSchema).default([]).describe('Cases run by `steward policy test`'),
  })
  .describe('Policy rules (CEL) that gate plan and apply, with their tests');

export type PolicySpec = z.infer<typeof policySpecSchema>;
export type PolicyRuleSpec = z.infer<typeof policyRuleSchema>;
export type PolicyTestSpec = z.infer<typeof policyTestSchema>;

export const policyKind: KindDefinition<PolicySpec> = configKind(POLICY, policySpecSchema);
