import type { Command } from 'commander';
import type { MetricsServer } from '../../agent/observability/index.js';
import { StewardError } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { parseDuration } from '../duration.js';

interface AgentFlags {
  readonly once: boolean;
  readonly resync?: string;
  readonly fingerprintInterval?: string;
  readonly lease?: string;
  readonly logLevel: string;
  readonly metricsPort?: string;
}

const LEVELS = ['debug', 'info', 'warn', 'error'];

function duration(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms < 1) throw new StewardError('invalid-input', `${flag} must be longer than 0, not "${text}"`);
  return ms;
}

export function registerAgent(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('agent')
    .description('Run continuously: watch the manifests and the targets, and keep them in line within the granted autonomy')
    .argument('[dir]', 'project directory (default: the -C directory)')
    .option('--once', 'run one reconcile cycle and stop', false)
    .option('--resync <duration>', 'full re-observation at least this often (default: the Autonomy manifest, else 5m)')
    .option('--fingerprint-interval <duration>', 'how often roles and memberships are fingerprinted (default 1s)')
    .option('--lease <duration>', 'replica lease period on a shared PostgreSQL store', '15s')
    .option('--log-level <level>', `one of ${LEVELS.join(', ')}`, 'info')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port (GET /metrics; 0 picks a free port)')
    .action(async (dir: string | undefined, flags: AgentFlags, command: Command) => {
      const base = ctx.project(command, 'agent');
      if (!LEVELS.includes(flags.logLevel)) throw new StewardError('invalid-input', `--log-level must be one of ${LEVELS.join(', ')}, not "${flags.logLevel}"`);
      const options = { ...base, dir: dir ?? base.dir };
      const port = flags.metricsPort === undefined ? undefined : Number(flags.metricsPort);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        throw new StewardError('invalid-input', `--metrics-port must be a TCP port (0-65535), not "${flags.metricsPort}"`);
      }
      // Loaded here, not with the CLI: the agent's watcher, metrics and tracing are no other command's start-up.
      const [{ runAgent }, { AgentMetrics, createLogger, createTracing, startMetricsServer }] = await Promise.all([
        import('../../agent/index.js'),
        import('../../agent/observability/index.js'),
      ]);
      // JSON lines on standard error, redacted; standard output stays free for the operator.
      const log = createLogger({ level: flags.logLevel, destination: process.stderr });
      const metrics = new AgentMetrics();
      const tracing = createTracing(process.env);
      let server: MetricsServer | undefined;
      if (port !== undefined) {
        server = await startMetricsServer(port, metrics);
        log.info({ port: server.port }, 'serving metrics on /metrics');
      }
      if (tracing.endpoint) log.info({ endpoint: tracing.endpoint }, 'exporting traces over OTLP');
      const controller = new AbortController();
      const stop = (): void => {
        if (controller.signal.aborted) return;
        controller.abort();
        ctx.output.err('Stopping: finishing the current step...');
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await runAgent(
          {
            project: options,
            log,
            metrics,
            tracer: tracing.tracer,
            once: flags.once,
            resyncMs: duration('--resync', flags.resync),
            fingerprintMs: duration('--fingerprint-interval', flags.fingerprintInterval),
            leaseMs: duration('--lease', flags.lease),
          },
          controller.signal,
        );
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await server?.close();
        await tracing.shutdown();
      }
      exit(0);
    });
}
