import type { Rule } from '../rule.js';
import { CHANGE_RULES } from './changes.js';
import { DATABASE_RULES } from './databases.js';
import { GRANT_RULES } from './grants.js';
import { INSTANCE_RULES } from './instances.js';
import { ROLE_RULES } from './roles.js';

/** The built-in pack for Steward's own kinds, on by default; a Policy may disable or re-enforce rules. */
export const BUILTIN_RULES: readonly Rule[] = [...ROLE_RULES, ...INSTANCE_RULES, ...DATABASE_RULES, ...GRANT_RULES, ...CHANGE_RULES];

export { BUILTIN_TESTS } from './fixtures.js';
