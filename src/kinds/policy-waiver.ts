import { z } from 'zod';
import type { KindDefinition } from '../core/index.js';
import { configKind } from './config-kind.js';

export const POLICY_WAIVER = 'PolicyWaiver';

export const policyWaiverSpecSchema = z
  .strictObject({
    rule: z.string().min(1).describe('Id of the rule waived'),
    resources: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9]*\/(\*|[^*\s]+)$/, 'must be an address such as PostgresRole/billing_bot, or Kind/* for every resource of a kind'),
      )
      .min(1)
      .describe('Addresses exempted (Kind/name), or Kind/* for every resource of that kind'),
    reason: z.string().min(1).describe('Why the exemption is acceptable'),
    owner: z.string().min(1).describe('Who answers for the exemption'),
    expires: z
      .union([z.iso.date(), z.iso.datetime({ offset: true })])
      .describe('When the waiver stops applying: a date (YYYY-MM-DD, from 00:00 UTC that day) or a date-time'),
  })
  .describe('An exemption of some resources from one policy rule, with a reason, an owner and an expiry');

export type PolicyWaiverSpec = z.infer<typeof policyWaiverSpecSchema>;

export const policyWaiverKind: KindDefinition<PolicyWaiverSpec> = configKind(POLICY_WAIVER, policyWaiverSpecSchema);
