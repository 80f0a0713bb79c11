import { StewardError, errorMessage } from '../core/errors.js';
import { MIGRATIONS_LOCK_KEY, STEWARD_LOCK_NAMESPACE } from './lock-keys.js';
import type { SqlClient, SqlQueryable } from './sql-client.js';
import { GENESIS_HASH } from './audit-hash.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Plain SQL valid on PostgreSQL 14+ and PGlite, without parameters. */
  readonly sql: string;
}

/**
 * Versioned, append-only: a released migration is never edited; changes are new versions.
 * Every table lives in schema `steward`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'state, runs, intents and audit log',
    sql: `
CREATE TABLE steward.runs (
  id uuid PRIMARY KEY,
  command text NOT NULL,
  actor text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'partial')),
  summary jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

CREATE TABLE steward.resources (
  address text PRIMARY KEY,
  kind text NOT NULL,
  name text NOT NULL,
  target text,
  spec_hash text NOT NULL,
  attributes jsonb NOT NULL CHECK (jsonb_typeof(attributes) = 'object'),
  provider_id text,
  dependencies jsonb NOT NULL CHECK (jsonb_typeof(dependencies) = 'array'),
  protect boolean NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Every version of every address, including removals (spec_hash and attributes null).
CREATE TABLE steward.resource_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  run_id uuid NOT NULL REFERENCES steward.runs (id),
  action text NOT NULL CHECK (action IN ('create', 'update', 'replace', 'delete', 'adopt', 'refresh', 'recover')),
  spec_hash text,
  attributes jsonb,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (address, version)
);

-- Written before every mutation and resolved after it: a pending row outliving its process
-- means a mutation may have happened without being recorded.
CREATE TABLE steward.intents (
  id uuid PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES steward.runs (id),
  actor text NOT NULL,
  address text NOT NULL,
  action text NOT NULL,
  before_hash text,
  after_hash text,
  detail jsonb,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'recovered')),
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz
);
CREATE INDEX intents_pending ON steward.intents (created_at) WHERE status = 'pending';

-- The hash chain. seq is written explicitly (no sequence) so a deleted row leaves a gap;
-- time and detail are kept as the exact text that was hashed (ISO 8601; canonical JSON).
CREATE TABLE steward.audit_log (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  time text NOT NULL,
  actor text NOT NULL,
  run_id text,
  address text,
  action text NOT NULL,
  before_hash text,
  after_hash text,
  outcome text NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'failed', 'recovered', 'info')),
  error text,
  detail text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_address ON steward.audit_log (address, seq) WHERE address IS NOT NULL;
CREATE INDEX audit_log_run ON steward.audit_log (run_id, seq) WHERE run_id IS NOT NULL;

-- The last entry appended, updated in the append transaction: entries cut off the end of the
-- chain leave it pointing past the last row.
CREATE TABLE steward.audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  last_seq bigint NOT NULL CHECK (last_seq >= 0),
  last_hash text NOT NULL
);
INSERT INTO steward.audit_head (id, last_seq, last_hash) VALUES (1, 0, '${GENESIS_HASH}');

CREATE FUNCTION steward.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'steward.audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON steward.audit_log
  FOR EACH ROW EXECUTE FUNCTION steward.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON steward.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION steward.audit_log_append_only();

CREATE FUNCTION steward.audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.last_seq > OLD.last_seq THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'steward.audit_head only moves forward: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON steward.audit_head
  FOR EACH ROW EXECUTE FUNCTION steward.audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON steward.audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION steward.audit_head_forward_only();
`,
  },
  {
    version: 2,
    name: 'the spec each resource was last applied with',
    // Deleting or observing a resource that left the manifests needs what it was declared as
    // (e.g. which privileges an additive grant owns). Specs never hold secrets, only references.
    sql: `
ALTER TABLE steward.resources ADD COLUMN spec jsonb;
ALTER TABLE steward.resource_history ADD COLUMN spec jsonb;
`,
  },
  {
    version: 3,
    name: 'encrypted secrets, their versions, and agent identities with their rotation state',
    // Values are envelope-encrypted by the caller (src/secrets): only ciphertext, the wrapped data
    // key and the master key's fingerprint are stored, all base64. A destroyed version keeps its
    // row (and keyed hash) for the record but loses every encrypted part.
    sql: `
CREATE TABLE steward.secrets (
  name text PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  origin text NOT NULL CHECK (origin IN ('generated', 'external', 'agent')),
  owner text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE steward.secret_versions (
  secret_id uuid NOT NULL REFERENCES steward.secrets (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version > 0),
  state text NOT NULL CHECK (state IN ('pending', 'current', 'previous', 'destroyed')),
  ciphertext text,
  iv text,
  tag text,
  wrapped_key text,
  key_fingerprint text,
  hmac text NOT NULL,
  meta jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  destroy_after timestamptz,
  destroyed_at timestamptz,
  PRIMARY KEY (secret_id, version),
  CHECK ((state = 'destroyed') = (ciphertext IS NULL))
);
CREATE UNIQUE INDEX secret_versions_one_current ON steward.secret_versions (secret_id) WHERE state = 'current';

-- One row per agent Steward has provisioned credentials for, kept until it is decommissioned:
-- what to clean up, which login is live, and where an interrupted rotation stopped.
CREATE TABLE steward.agent_identities (
  agent text PRIMARY KEY,
  secret_name text NOT NULL,
  instance text NOT NULL,
  database text NOT NULL,
  group_role text NOT NULL,
  logins jsonb NOT NULL CHECK (jsonb_typeof(logins) = 'array'),
  active_login text,
  env_file text,
  step text NOT NULL DEFAULT 'idle' CHECK (step IN ('idle', 'pending', 'grace')),
  pending_login text,
  pending_version integer,
  retiring_login text,
  grace_until timestamptz,
  rotated_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The keyed hash of the sensitive value last applied to a field (e.g. a role's password), so it
-- is sent again only when it changes; never the value.
CREATE TABLE steward.sensitive_applied (
  address text NOT NULL,
  field text NOT NULL,
  hmac text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (address, field)
);
`,
  },
  {
    version: 4,
    name: 'change requests, their approvals, and resource leases for agent replicas',
    // A change request holds one planned change by the hash of exactly what was planned; approving
    // it approves that hash only. Leases let several agents share a store without two of them
    // acting on one resource: a lease is held until expires_at and renewed by its holder.
    sql: `
CREATE TABLE steward.change_requests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address text NOT NULL,
  action text NOT NULL,
  plan_hash text NOT NULL,
  plan jsonb NOT NULL,
  reason text NOT NULL,
  destructive boolean NOT NULL,
  proposer text NOT NULL,
  required_approvals integer NOT NULL CHECK (required_approvals > 0),
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'applied', 'failed', 'stale', 'expired', 'obsolete')),
  outcome text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  closed_at timestamptz
);
CREATE INDEX change_requests_open ON steward.change_requests (address) WHERE status IN ('pending', 'approved');

CREATE TABLE steward.change_request_decisions (
  request_id bigint NOT NULL REFERENCES steward.change_requests (id),
  approver text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
  comment text,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, approver)
);

CREATE TABLE steward.leases (
  resource text PRIMARY KEY,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
`,
  },
  {
    version: 5,
    name: 'kill switch: paused scopes',
    // At most one active pause per scope (text in canonical form, see core/scope.ts); a resume
    // keeps the row, with who resumed it and when, so the table is a history as well.
    sql: `
CREATE TABLE steward.pauses (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope text NOT NULL,
  reason text NOT NULL,
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  resumed_at timestamptz,
  resumed_by text
);
CREATE UNIQUE INDEX pauses_active ON steward.pauses (scope) WHERE resumed_at IS NULL;
`,
  },
  {
    version: 6,
    name: 'run references checked once per statement',
    // A foreign key checks each inserted row with a query of its own: for an apply from scratch
    // (an intent and a history row per change, written 200 at a time) that was about a sixth of
    // the embedded store's work. These triggers keep the same rules (every intent and history
    // row names an existing run; a run that is named can neither go nor change its id, which
    // Steward never does) with one query per statement, and fail with the foreign key's SQLSTATE.
    sql: `
ALTER TABLE steward.intents DROP CONSTRAINT intents_run_id_fkey;
ALTER TABLE steward.resource_history DROP CONSTRAINT resource_history_run_id_fkey;

CREATE FUNCTION steward.runs_exist() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  missing uuid;
BEGIN
  SELECT w.run_id INTO missing
    FROM (SELECT DISTINCT run_id FROM written) w
   WHERE NOT EXISTS (SELECT 1 FROM steward.runs r WHERE r.id = w.run_id)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "%" names run %, which does not exist', TG_TABLE_NAME, missing
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER intents_run_exists AFTER INSERT ON steward.intents
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();
CREATE TRIGGER intents_run_still_exists AFTER UPDATE ON steward.intents
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();
CREATE TRIGGER history_run_exists AFTER INSERT ON steward.resource_history
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();
CREATE TRIGGER history_run_still_exists AFTER UPDATE ON steward.resource_history
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();

CREATE FUNCTION steward.runs_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  named uuid;
BEGIN
  SELECT g.id INTO named
    FROM gone g
   WHERE NOT EXISTS (SELECT 1 FROM steward.runs r WHERE r.id = g.id)
     AND (EXISTS (SELECT 1 FROM steward.intents i WHERE i.run_id = g.id)
          OR EXISTS (SELECT 1 FROM steward.resource_history h WHERE h.run_id = g.id))
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'run % is named by intents or resource history and must stay', named
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER runs_kept_on_delete AFTER DELETE ON steward.runs
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_keep_referenced();
CREATE TRIGGER runs_kept_on_update AFTER UPDATE ON steward.runs
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_keep_referenced();
`,
  },
  {
    version: 7,
    name: 'the intents of a batch in one row',
    // An apply from scratch recorded and then resolved an intent row per change: about a quarter
    // of the embedded store's work. A batch's intents are now one row, recorded before any of its
    // mutations and resolved together after them. A member resolved on its own (the batch carried
    // out one change at a time after a failure) first moves every member to steward.intents,
    // where each is then resolved by itself. Each member still has its own audit entries.
    sql: `
CREATE TABLE steward.intent_groups (
  id uuid PRIMARY KEY,
  run_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  -- One array per intent: [id, actor, address, action, before_hash, after_hash, detail].
  members jsonb NOT NULL CHECK (jsonb_typeof(members) = 'array'),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'split')),
  -- Once resolved, one array per intent: [id, status, after_hash, error].
  outcomes jsonb,
  resolved_at timestamptz
);
-- Stored without compression: a group is written once and resolved once, and compressing its
-- tens of kilobytes cost the embedded store more than storing them.
ALTER TABLE steward.intent_groups ALTER COLUMN members SET STORAGE EXTERNAL, ALTER COLUMN outcomes SET STORAGE EXTERNAL;
CREATE INDEX intent_groups_pending ON steward.intent_groups (created_at) WHERE status = 'pending';
CREATE TRIGGER intent_groups_run_exists AFTER INSERT ON steward.intent_groups
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();
CREATE TRIGGER intent_groups_run_still_exists AFTER UPDATE ON steward.intent_groups
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();

CREATE OR REPLACE FUNCTION steward.runs_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  named uuid;
BEGIN
  SELECT g.id INTO named
    FROM gone g
   WHERE NOT EXISTS (SELECT 1 FROM steward.runs r WHERE r.id = g.id)
     AND (EXISTS (SELECT 1 FROM steward.intents i WHERE i.run_id = g.id)
          OR EXISTS (SELECT 1 FROM steward.intent_groups i WHERE i.run_id = g.id)
          OR EXISTS (SELECT 1 FROM steward.resource_history h WHERE h.run_id = g.id))
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'run % is named by intents or resource history and must stay', named
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$fn$;
`,
  },
  {
    version: 8,
    name: 'one pending audit entry for the intents of a batch',
    // A batch's intents, recorded together (one intent_groups row), get one 'pending' audit entry
    // (action 'intents', no address) naming every intent with its address, instead of one entry
    // each: half an apply's audit entries. Outcomes keep an entry per change. Lookups by address
    // find such an entry through this index of the addresses it names.
    sql: `
CREATE FUNCTION steward.audit_intent_addresses(detail text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT coalesce(array_agg(i->>'address'), '{}') FROM jsonb_array_elements(($1::jsonb)->'intents') AS i
$fn$;
CREATE INDEX audit_log_intents ON steward.audit_log USING gin (steward.audit_intent_addresses(detail))
  WHERE action = 'intents' AND address IS NULL;
-- Such an entry's detail is tens of kilobytes: stored uncompressed, as intent_groups.members is
-- (compressing it cost the embedded store more than storing it).
ALTER TABLE steward.audit_log ALTER COLUMN detail SET STORAGE EXTERNAL;
`,
  },
  {
    version: 9,
    name: 'a batch keeps its intents in its audit entry only',
    // A group row held its members again beside the batch's 'pending' audit entry (migration 8),
    // and its outcomes again beside their own entries: about a fifth of what an apply from scratch
    // wrote to the embedded store. A new group names the entry that holds its members and keeps
    // only their ids (to check a resolution names exactly them); its outcomes are in their entries.
    // Rows written before keep their members and outcomes, and are read as before. No foreign key:
    // the log is append-only already, and a key would change how truncating or dropping it fails.
    sql: `
ALTER TABLE steward.intent_groups
  ALTER COLUMN members DROP NOT NULL,
  DROP CONSTRAINT intent_groups_members_check,
  ADD COLUMN audit_seq bigint,
  ADD COLUMN member_ids uuid[],
  ADD CONSTRAINT intent_groups_members_held CHECK (
    CASE WHEN members IS NULL THEN audit_seq IS NOT NULL AND member_ids IS NOT NULL ELSE jsonb_typeof(members) = 'array' END);

-- A group's intents, in the order they were recorded, wherever the group keeps them.
CREATE FUNCTION steward.intent_group_members(group_id uuid)
  RETURNS TABLE (id text, actor text, address text, action text, before_hash text, after_hash text, detail jsonb)
  LANGUAGE sql STABLE AS $fn$
  SELECT m->>0, m->>1, m->>2, m->>3, m->>4, m->>5, nullif(m->6, 'null'::jsonb)
    FROM steward.intent_groups g CROSS JOIN LATERAL jsonb_array_elements(g.members) AS m
   WHERE g.id = group_id AND g.members IS NOT NULL
  UNION ALL
  SELECT i->>'intentId', a.actor, i->>'address', i->>'action', i->>'beforeHash', i->>'afterHash', nullif(i->'detail', 'null'::jsonb)
    FROM steward.intent_groups g
    JOIN steward.audit_log a ON a.seq = g.audit_seq
   CROSS JOIN LATERAL jsonb_array_elements(a.detail::jsonb -> 'intents') AS i
   WHERE g.id = group_id AND g.members IS NULL
$fn$;
`,
  },
  {
    version: 10,
    name: 'the current version of a resource is kept in its row only',
    // Every write added a history row that repeated the resource's row (an apply from scratch
    // wrote each of its 11,100 records twice). A row written from now on carries what its history
    // entry held (history_id from the history's own sequence, so the order of entries is kept; run
    // and action); when it is replaced or removed, it moves into the history. Rows written before
    // (history_id NULL) already have their current version in the history, and keep it there.
    sql: `
ALTER TABLE steward.resources
  ADD COLUMN history_id bigint,
  ADD COLUMN run_id uuid,
  ADD COLUMN action text CHECK (action IN ('create', 'update', 'replace', 'delete', 'adopt', 'refresh', 'recover')),
  ADD CONSTRAINT resources_history_entry CHECK ((history_id IS NULL) = (run_id IS NULL) AND (history_id IS NULL) = (action IS NULL));

-- A row written before this migration names no run.
CREATE OR REPLACE FUNCTION steward.runs_exist() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  missing uuid;
BEGIN
  SELECT w.run_id INTO missing
    FROM (SELECT DISTINCT run_id FROM written WHERE run_id IS NOT NULL) w
   WHERE NOT EXISTS (SELECT 1 FROM steward.runs r WHERE r.id = w.run_id)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "%" names run %, which does not exist', TG_TABLE_NAME, missing
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER resources_run_exists AFTER INSERT ON steward.resources
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();
CREATE TRIGGER resources_run_still_exists AFTER UPDATE ON steward.resources
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION steward.runs_exist();

CREATE OR REPLACE FUNCTION steward.runs_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  named uuid;
BEGIN
  SELECT g.id INTO named
    FROM gone g
   WHERE NOT EXISTS (SELECT 1 FROM steward.runs r WHERE r.id = g.id)
     AND (EXISTS (SELECT 1 FROM steward.intents i WHERE i.run_id = g.id)
          OR EXISTS (SELECT 1 FROM steward.intent_groups i WHERE i.run_id = g.id)
          OR EXISTS (SELECT 1 FROM steward.resource_history h WHERE h.run_id = g.id)
          OR EXISTS (SELECT 1 FROM steward.resources c WHERE c.run_id = g.id))
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'run % is named by intents or resource history and must stay', named
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$fn$;
`,
  },
  {
    version: 11,
    name: 'a batch entry keeps the addresses it names in a column',
    // The index of migration 8 parsed each batch entry's detail (tens of kilobytes of JSON) in the
    // database to find the addresses it names: two entries per batch, 80 ms of an apply of 11,100
    // changes on the embedded store's thread. The appender knows them and writes them beside it.
    // The column is not part of the entry's hash; `audit verify` checks it against the detail, so
    // editing it to hide an entry from lookups by address is found like any other edit. Entries
    // already written get theirs from their detail, by the function the index used (the trigger
    // that keeps the log append-only is off for that one update of the new column).
    sql: `
ALTER TABLE steward.audit_log ADD COLUMN addresses text[];
ALTER TABLE steward.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE steward.audit_log SET addresses = coalesce(steward.audit_intent_addresses(detail), '{}') WHERE action = 'intents' AND address IS NULL;
ALTER TABLE steward.audit_log ENABLE TRIGGER audit_log_append_only;
ALTER TABLE steward.audit_log ADD CONSTRAINT audit_log_addresses_of_batches CHECK ((addresses IS NOT NULL) = (action = 'intents' AND address IS NULL));
DROP INDEX steward.audit_log_intents;
DROP FUNCTION steward.audit_intent_addresses(text);
CREATE INDEX audit_log_intents ON steward.audit_log USING gin (addresses) WHERE addresses IS NOT NULL;
`,
  },
];

const BOOTSTRAP = `
CREATE SCHEMA IF NOT EXISTS steward;
CREATE TABLE IF NOT EXISTS steward.schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);`;

async function appliedVersions(tx: SqlQueryable): Promise<readonly number[]> {
  const [present] = await tx.query<{ present: boolean }>(
    `SELECT to_regclass('steward.schema_migrations') IS NOT NULL AS present`,
  );
  // Only create what is missing: CREATE SCHEMA needs a privilege a store user may lack once an
  // administrator has set the schema up.
  if (present?.present !== true) await tx.exec(BOOTSTRAP);
  const rows = await tx.query<{ version: number }>('SELECT version FROM steward.schema_migrations ORDER BY version');
  return rows.map((row) => row.version);
}

/**
 * Brings the schema up to date in one transaction. On PostgreSQL a transaction-scoped advisory
 * lock makes concurrent openers wait, so each migration runs exactly once. Returns the versions
 * applied now (empty when already current).
 */
export async function migrate(client: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<readonly number[]> {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  try {
    return await client.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [STEWARD_LOCK_NAMESPACE, MIGRATIONS_LOCK_KEY]);
      const applied = new Set(await appliedVersions(tx));
      const newest = Math.max(0, ...applied);
      if (newest > latest) {
        throw new StewardError(
          'store-unavailable',
          `the store's schema is at version ${newest}, newer than this steward knows (${latest}); upgrade steward`,
        );
      }
      const done: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(migration.version)) continue;
        await tx.exec(migration.sql);
        await tx.query('INSERT INTO steward.schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        done.push(migration.version);
      }
      return done;
    });
  } catch (error) {
    if (error instanceof StewardError) throw error;
    throw new StewardError('store-unavailable', `could not migrate the store schema: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
