import { adminClient } from './project.js';

/** Holds an uncommitted ALTER ROLE (a row lock on the role), so Steward's own ALTER of it waits until `release`. */
export async function blockRole(role: string): Promise<{ release(): Promise<void> }> {
  const admin = await adminClient();
  await admin.query('BEGIN');
  await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 99`);
  return {
    release: async () => {
      await admin.query('ROLLBACK');
      await admin.end();
    },
  };
}

/** Whether a Steward connection is waiting on a lock in an ALTER ROLE of `role`. */
export async function stewardIsWaiting(role: string): Promise<boolean> {
  const admin = await adminClient();
  try {
    const { rows } = await admin.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name = 'steward' AND wait_event_type = 'Lock' AND query ILIKE $1`,
      [`%ALTER ROLE%${role}%`],
    );
    return rows.length > 0;
  } finally {
    await admin.end();
  }
}
