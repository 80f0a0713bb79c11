import { SpanStatusCode, context, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { AsyncLocalContextManager } from './context-manager.js';
import { createRedactor, secretValuesFromEnv, type Redactor } from './redact.js';

export type { Tracer, Span } from '@opentelemetry/api';

/** Span names of one reconcile: the root and its steps. */
export const SPAN = {
  reconcile: 'reconcile',
  observe: 'observe',
  plan: 'plan',
  policy: 'policy',
  apply: 'apply',
} as const;

export interface Tracing {
  readonly tracer: Tracer;
  /** Where spans are sent, or undefined when tracing is off. */
  readonly endpoint: string | undefined;
  /** Exports what is buffered and stops; idempotent. */
  shutdown(): Promise<void>;
}

/** `k1=v1,k2=v2` as OTEL_EXPORTER_OTLP_HEADERS writes them (values URL-encoded). */
function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return headers;
}

/** The traces URL per the OTLP spec: the signal-specific variable as is, else the base plus /v1/traces. */
export function tracesEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true' || env['OTEL_TRACES_EXPORTER']?.trim() === 'none') return undefined;
  const specific = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (specific) return specific;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Traces exported over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (headers from OTEL_EXPORTER_OTLP_[TRACES_]HEADERS,
 * service name from OTEL_SERVICE_NAME, default `steward`); otherwise a no-op tracer that costs
 * nothing. The provider is not registered globally: spans go only where this tracer sends them.
 */
export function createTracing(env: NodeJS.ProcessEnv, options: { readonly version?: string } = {}): Tracing {
  const endpoint = tracesEndpoint(env);
  if (endpoint === undefined) {
    return { tracer: trace.getTracer('steward-noop'), endpoint: undefined, shutdown: async () => undefined };
  }
  // Parenting across awaits needs a context manager; the first one set in a process stays.
  context.setGlobalContextManager(new AsyncLocalContextManager());
  const exporter = new OTLPTraceExporter({
    url: endpoint,
    headers: { ...parseHeaders(env['OTEL_EXPORTER_OTLP_HEADERS']), ...parseHeaders(env['OTEL_EXPORTER_OTLP_TRACES_HEADERS']) },
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env['OTEL_SERVICE_NAME']?.trim() || 'steward',
      ...(options.version ? { [ATTR_SERVICE_VERSION]: options.version } : {}),
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  let stopping: Promise<void> | undefined;
  return {
    tracer: provider.getTracer('steward', options.version),
    endpoint,
    shutdown: () => (stopping ??= provider.shutdown()),
  };
}

let redactor: Redactor | undefined;

/**
 * Runs `fn` inside a span named `name` (a child of the active span, if any): the span records an
 * exception (redacted) and an error status when `fn` throws, and always ends.
 */
export function withSpan<T>(tracer: Tracer, name: string, attributes: Attributes, fn: (span: Span) => Promise<T> | T): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      // Error messages can quote connection strings: exported spans get the same redaction as logs.
      redactor ??= createRedactor(secretValuesFromEnv(process.env));
      const message = redactor.redactText(error instanceof Error ? error.message : String(error));
      span.recordException({ name: error instanceof Error ? error.name : 'Error', message });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      throw error;
    } finally {
      span.end();
    }
  });
}
