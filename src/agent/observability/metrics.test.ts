import { afterEach, describe, expect, it } from 'vitest';
import { AgentMetrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The value of one sample line, e.g. `steward_actions_total{outcome="succeeded"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics endpoint', () => {
  it('serves every agent metric in the Prometheus text format over real HTTP', async () => {
    const metrics = new AgentMetrics();
    server = await startMetricsServer(0, metrics, '127.0.0.1');
    metrics.driftDetected('PostgresGrant');
    metrics.driftDetected('PostgresGrant');
    metrics.driftDetected('PostgresRole');
    metrics.observeTimeToDetect('PostgresGrant', 400);
    metrics.observeTimeToFix('PostgresGrant', 1500);
    metrics.action('succeeded');
    metrics.action('succeeded');
    metrics.action('held');
    metrics.setApprovalsPending(3);
    metrics.setBreakerState('PostgresInstance/main', 'open');
    metrics.setPausedScopes(2);
    metrics.conflicted('PostgresGrant/app');
    metrics.conflicted('PostgresGrant/other');
    metrics.resolved('PostgresGrant/other');

    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(sample(text, 'steward_drift_detected_total{kind="PostgresGrant"}')).toBe(2);
    expect(sample(text, 'steward_drift_detected_total{kind="PostgresRole"}')).toBe(1);
    expect(sample(text, 'steward_time_to_detect_seconds_bucket{le="0.5",kind="PostgresGrant"}')).toBe(1);
    expect(sample(text, 'steward_time_to_detect_seconds_bucket{le="0.25",kind="PostgresGrant"}')).toBe(0);
    expect(sample(text, 'steward_time_to_fix_seconds_sum{kind="PostgresGrant"}')).toBe(1.5);
    expect(sample(text, 'steward_actions_total{outcome="succeeded"}')).toBe(2);
    expect(sample(text, 'steward_actions_total{outcome="held"}')).toBe(1);
    expect(sample(text, 'steward_approvals_pending')).toBe(3);
    expect(sample(text, 'steward_breaker_state{instance="PostgresInstance/main",state="open"}')).toBe(1);
    expect(sample(text, 'steward_breaker_state{instance="PostgresInstance/main",state="closed"}')).toBe(0);
    expect(sample(text, 'steward_paused_scopes')).toBe(2);
    expect(sample(text, 'steward_conflicts_total')).toBe(2);
    expect(sample(text, 'steward_conflicted_resources')).toBe(1);
    expect(text).toContain('# HELP steward_drift_detected_total');
    expect(text).toContain('steward_process_cpu_seconds_total');

    metrics.setBreakerState('PostgresInstance/main', 'closed');
    const again = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(sample(again, 'steward_breaker_state{instance="PostgresInstance/main",state="closed"}')).toBe(1);
    expect(sample(again, 'steward_breaker_state{instance="PostgresInstance/main",state="open"}')).toBe(0);
  });

  it('answers 404 elsewhere and keeps two agents in one process apart', async () => {
    const one = new AgentMetrics({ processMetrics: false });
    const two = new AgentMetrics({ processMetrics: false });
    one.setPausedScopes(1);
    server = await startMetricsServer(0, two, '127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    expect(sample(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text(), 'steward_paused_scopes')).toBe(0);
  });

  it('says so when the port is taken', async () => {
    server = await startMetricsServer(0, new AgentMetrics({ processMetrics: false }), '127.0.0.1');
    await expect(startMetricsServer(server.port, new AgentMetrics({ processMetrics: false }), '127.0.0.1')).rejects.toThrow(
      `the metrics port ${server.port} is already in use`,
    );
    await expect(startMetricsServer(70000, new AgentMetrics({ processMetrics: false }))).rejects.toThrow(/from 0 to 65535/);
  });
});
