import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SPAN, createTracing, tracesEndpoint, withSpan } from './tracing.js';

interface OtlpSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly status?: { readonly code?: number; readonly message?: string };
  readonly attributes?: readonly { readonly key: string; readonly value: Record<string, unknown> }[];
}

interface OtlpExport {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly { readonly key: string; readonly value: { readonly stringValue?: string } }[] };
    readonly scopeSpans: readonly { readonly spans: readonly OtlpSpan[] }[];
  }[];
}

/** A local OTLP/HTTP receiver: records each POST body and its path. */
async function receiver(): Promise<{ url: string; requests: { path: string; contentType: string; body: OtlpExport }[]; server: Server }> {
  const requests: { path: string; contentType: string; body: OtlpExport }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({ path: request.url ?? '', contentType: request.headers['content-type'] ?? '', body: JSON.parse(body) as OtlpExport });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

let open: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (open ? open.close(() => resolve()) : resolve()));
  open = undefined;
});

describe('tracing', () => {
  it('exports a reconcile with observe, plan, policy and apply spans as its children over OTLP/HTTP', async () => {
    const otlp = await receiver();
    open = otlp.server;
    const tracing = createTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'steward-test' });
    expect(tracing.endpoint).toBe(`${otlp.url}/v1/traces`);
    await withSpan(tracing.tracer, SPAN.reconcile, { 'steward.resource': 'PostgresGrant/app' }, async () => {
      await withSpan(tracing.tracer, SPAN.observe, {}, async () => undefined);
      await withSpan(tracing.tracer, SPAN.plan, { 'steward.changes': 1 }, () => 'sync is fine too');
      await withSpan(tracing.tracer, SPAN.policy, {}, async () => undefined);
      await expect(
        withSpan(tracing.tracer, SPAN.apply, {}, async () => {
          throw new Error('could not connect to postgres://app:hunter2secret@db/app');
        }),
      ).rejects.toThrow(/hunter2secret/);
    });
    await tracing.shutdown();

    expect(otlp.requests.length).toBeGreaterThan(0);
    expect(otlp.requests.every((r) => r.path === '/v1/traces' && r.contentType.startsWith('application/json'))).toBe(true);
    const resources = otlp.requests.flatMap((r) => r.body.resourceSpans);
    expect(resources[0]?.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue).toBe('steward-test');
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    expect(spans.map((s) => s.name).sort()).toEqual(['apply', 'observe', 'plan', 'policy', 'reconcile']);
    const root = spans.find((s) => s.name === 'reconcile')!;
    expect(root.parentSpanId ?? '').toBe('');
    for (const child of spans.filter((s) => s !== root)) {
      expect(child.traceId).toBe(root.traceId);
      expect(child.parentSpanId).toBe(root.spanId);
    }
    const failed = spans.find((s) => s.name === 'apply')!;
    expect(failed.status?.code).toBe(2);
    expect(JSON.stringify(otlp.requests)).not.toContain('hunter2secret');
    expect(root.attributes?.find((a) => a.key === 'steward.resource')?.value).toEqual({ stringValue: 'PostgresGrant/app' });
  });

  it('is a no-op without an endpoint, and honours the traces-specific variable and OTEL_SDK_DISABLED', async () => {
    const off = createTracing({});
    expect(off.endpoint).toBeUndefined();
    expect(await withSpan(off.tracer, SPAN.reconcile, {}, async () => 42)).toBe(42);
    await off.shutdown();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/traces' })).toBe('http://b:9999/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });
});
