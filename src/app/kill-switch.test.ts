import { afterAll, describe, expect, inject, it } from 'vitest';
import { addressOf, type DesiredResource, type PlannedChange } from '../core/index.js';
import { backends, withFreshStore } from '../store/test-support/backends.js';
import type { PauseRecord, Store } from '../store/index.js';
import { composeGuards, pauseCovering, pausedChanges, pauseGuard } from './kill-switch.js';

function resource(kind: string, name: string, labels: Record<string, string> = {}): DesiredResource {
  return {
    address: addressOf(kind, name),
    kind,
    name,
    metadata: { name, labels, annotations: {} },
    spec: {},
    dependsOn: [],
    protect: false,
    source: { file: 'test.yaml', line: 1, column: 1 },
  };
}

function change(desired: DesiredResource, action: PlannedChange['action'] = 'update'): PlannedChange {
  return {
    address: desired.address,
    kind: desired.kind,
    name: desired.name,
    action,
    changes: [],
    reason: 'test',
    target: addressOf('PostgresInstance', 'main'),
    dependsOn: [],
    ...(action === 'delete' ? {} : { desired }),
    adopt: false,
  };
}

const app = resource('PostgresRole', 'app', { team: 'payments' });
const report = resource('PostgresRole', 'report', { team: 'bi' });
const grant = resource('PostgresGrant', 'app-read', { team: 'payments' });

const pause = (id: string, scope: string): PauseRecord => ({ id, scope, reason: `reason ${id}`, actor: 'alice', createdAt: '2026-01-01T00:00:00.000Z' });

describe('which pause covers a resource', () => {
  it('picks the most specific matching pause', () => {
    const pauses = [pause('1', 'project'), pause('2', 'labels:team=payments'), pause('3', 'resource:PostgresRole/report')];
    const of = (r: DesiredResource): string | undefined =>
      pauseCovering(pauses, { address: r.address, kind: r.kind, labels: r.metadata.labels })?.id;
    expect([of(app), of(report), of(grant)]).toEqual(['2', '3', '2']);
  });

  it('treats a stored scope that no longer parses as the whole project (fail closed)', () => {
    expect(pauseCovering([pause('9', 'garbage')], { address: 'X/y', kind: 'X', labels: {} })?.id).toBe('9');
  });

  it('lists, per pause, the planned changes it holds back, ignoring no-ops and using labels of deleted resources', () => {
    const notes = pausedChanges(
      [pause('1', 'kind:PostgresGrant'), pause('2', 'labels:team=bi')],
      [app, report, grant],
      [change(app), change(report, 'delete'), change(grant, 'no-op')],
    );
    expect(notes.map((n) => [n.pause.id, n.addresses])).toEqual([
      ['1', []],
      ['2', ['PostgresRole/report']],
    ]);
  });
});

describe('composeGuards', () => {
  it('asks each guard in turn and stops at the first reason', async () => {
    const asked: string[] = [];
    const guard = (name: string, reason?: string) => async (): Promise<string | undefined> => {
      asked.push(name);
      return reason;
    };
    expect(await composeGuards(guard('a'), undefined, guard('b', 'no'), guard('c', 'never asked'))(change(app))).toBe('no');
    expect(asked).toEqual(['a', 'b']);
    expect(await composeGuards()(change(app))).toBeUndefined();
  });
});

describe.each(backends(inject('pg')))('pauseGuard on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  const withStore = (body: (store: Store) => Promise<void>): Promise<void> => withFreshStore(backend, body);

  it('holds back a change a pause covers, naming scope, actor and reason, and lets it go after resume', async () => {
    await withStore(async (store) => {
      const guard = pauseGuard(store, [app, report, grant], { maxAgeMs: 0 });
      expect(await guard(change(app))).toBeUndefined();
      await store.pauses.pause({ scope: 'labels:team=payments', reason: 'incident 7', actor: 'alice@ops' });
      expect(await guard(change(app))).toBe('paused (scope labels:team=payments) by alice@ops: incident 7');
      expect(await guard(change(grant))).toMatch(/^paused \(scope labels:team=payments\)/);
      expect(await guard(change(report))).toBeUndefined();
      await store.pauses.resume({ scope: 'labels:team=payments', actor: 'bob' });
      expect(await guard(change(app))).toBeUndefined();
    });
  });

  it('reads the pauses at most once per maxAge, sharing one read between concurrent checks', async () => {
    await withStore(async (store) => {
      let reads = 0;
      const counting: Store = {
        ...store,
        pauses: {
          ...store.pauses,
          active: async () => {
            reads++;
            return store.pauses.active();
          },
        },
      };
      const guard = pauseGuard(counting, [app], { maxAgeMs: 60_000 });
      await Promise.all([guard(change(app)), guard(change(app)), guard(change(app))]);
      expect(reads).toBe(1);
      await store.pauses.pause({ scope: 'project', reason: 'r', actor: 'a' });
      // Within maxAge the cached view is used: this is the bounded staleness the 250 ms default buys.
      expect(await guard(change(app))).toBeUndefined();
      expect(reads).toBe(1);
      expect(await pauseGuard(counting, [app], { maxAgeMs: 0 })(change(app))).toMatch(/^paused \(scope project\)/);
    });
  });

  it('holds everything back when the pauses cannot be read', async () => {
    await withStore(async (store) => {
      const guard = pauseGuard(store, [app], { maxAgeMs: 0 });
      await store.close();
      expect(await guard(change(app))).toMatch(/^the kill switch could not be read, so nothing is changed/);
    });
  });
});
