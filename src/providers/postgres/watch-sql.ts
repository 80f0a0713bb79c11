/**
 * The SQL of the agent's PostgreSQL watch: event triggers that NOTIFY on DDL inside a database,
 * and fingerprints (one query each) for what fires no event trigger.
 */

/** The channel the event triggers notify on. */
export const WATCH_CHANNEL = 'steward_ddl';

/** The schema holding the trigger function; created only where an event trigger is installed. */
export const WATCH_SCHEMA = 'steward_watch';

/**
 * Installs (idempotently) the notifying function and the two event triggers in the current
 * database. Needs superuser. The payload names the command and the objects' identities, cut to
 * fit NOTIFY's limit; it never holds data, only catalog names.
 */
export const INSTALL_EVENT_TRIGGERS = `
CREATE SCHEMA IF NOT EXISTS ${WATCH_SCHEMA};
REVOKE ALL ON SCHEMA ${WATCH_SCHEMA} FROM PUBLIC;
CREATE OR REPLACE FUNCTION ${WATCH_SCHEMA}.notify_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  r record;
  objects text := '';
BEGIN
  IF TG_EVENT = 'sql_drop' THEN
    FOR r IN SELECT object_type, object_identity FROM pg_event_trigger_dropped_objects() LOOP
      objects := objects || r.object_type || ' ' || coalesce(r.object_identity, '') || '; ';
    END LOOP;
  ELSE
    FOR r IN SELECT object_type, object_identity FROM pg_event_trigger_ddl_commands() LOOP
      objects := objects || coalesce(r.object_type, '') || ' ' || coalesce(r.object_identity, '') || '; ';
    END LOOP;
  END IF;
  PERFORM pg_notify('${WATCH_CHANNEL}', left(TG_TAG || ': ' || objects, 7000));
END
$fn$;
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'steward_watch_ddl') THEN
    CREATE EVENT TRIGGER steward_watch_ddl ON ddl_command_end EXECUTE FUNCTION ${WATCH_SCHEMA}.notify_ddl();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'steward_watch_drop') THEN
    CREATE EVENT TRIGGER steward_watch_drop ON sql_drop EXECUTE FUNCTION ${WATCH_SCHEMA}.notify_ddl();
  END IF;
END
$do$;`;

/** Whether the connection may install event triggers (only superusers may). */
export const CAN_INSTALL = `SELECT rolsuper AS can FROM pg_catalog.pg_roles WHERE rolname = current_user`;

/**
 * One query hashing everything cluster-wide that fires no event trigger: roles (attributes and
 * per-role settings), memberships, role comments, and databases (owner, limits, ACL).
 */
export const CLUSTER_FINGERPRINT = `
SELECT md5(concat_ws('|',
  (SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY r.oid) FROM pg_catalog.pg_roles r),
  (SELECT string_agg(to_jsonb(m)::text, ',' ORDER BY m.roleid, m.member, m.grantor) FROM pg_catalog.pg_auth_members m),
  (SELECT string_agg(d.objoid::text || ':' || d.description, ',' ORDER BY d.objoid)
     FROM pg_catalog.pg_shdescription d WHERE d.classoid = 'pg_catalog.pg_authid'::regclass),
  (SELECT string_agg(concat_ws(':', db.oid, db.datname, db.datdba, db.datconnlimit, db.datallowconn, db.datistemplate, db.datacl::text), ','
            ORDER BY db.oid) FROM pg_catalog.pg_database db)
)) AS fp`;

/**
 * The fallback where no event trigger can be installed: one query hashing the privileges and
 * owners inside the current database (schemas, relations, functions, default privileges).
 */
export const DATABASE_FINGERPRINT = `
SELECT md5(concat_ws('|',
  (SELECT string_agg(concat_ws(':', n.oid, n.nspname, n.nspowner, n.nspacl::text), ',' ORDER BY n.oid) FROM pg_catalog.pg_namespace n),
  (SELECT string_agg(concat_ws(':', c.oid, c.relname, c.relowner, c.relacl::text), ',' ORDER BY c.oid)
     FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')),
  (SELECT string_agg(concat_ws(':', a.attrelid, a.attnum, a.attacl::text), ',' ORDER BY a.attrelid, a.attnum)
     FROM pg_catalog.pg_attribute a WHERE a.attacl IS NOT NULL),
  (SELECT string_agg(concat_ws(':', p.oid, p.proowner, p.proacl::text), ',' ORDER BY p.oid)
     FROM pg_catalog.pg_proc p WHERE p.proacl IS NOT NULL),
  (SELECT string_agg(concat_ws(':', d.oid, d.defaclrole, d.defaclnamespace, d.defaclobjtype, d.defaclacl::text), ',' ORDER BY d.oid)
     FROM pg_catalog.pg_default_acl d)
)) AS fp`;
