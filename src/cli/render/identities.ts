import type { IdentitySyncReport, RotationEvent } from '../../app/index.js';
import type { Colors } from '../output.js';

/** One line per rotation step; a password only ever appears as its keyed hash. */
export function renderRotationEvent(event: RotationEvent): string {
  switch (event.type) {
    case 'rotated':
      return `Agent/${event.agent}: rotated to login ${event.login} (secret version ${event.version}, (sensitive) ${event.hmac}) in ${Math.round(event.ms)} ms`;
    case 'invalidated':
      return `Agent/${event.agent}: grace period over, login ${event.login} no longer accepts its old password (open sessions untouched)`;
    case 'delivered':
      return `Agent/${event.agent}: credentials delivered to ${event.file}`;
    case 'rolled-back':
      return `Agent/${event.agent}: an interrupted rotation (version ${event.version}) was rolled back; the published credential still works`;
    case 'resumed':
      return `Agent/${event.agent}: an interrupted rotation (version ${event.version}) had been published and was completed`;
  }
}

/** What an apply did to identities after the plan's changes: secrets, deliveries, rotations, decommissions. */
export function renderIdentitySync(report: IdentitySyncReport, color: Colors): string | undefined {
  const lines = [
    ...report.secretsCreated.map((name) => `Secret/${name}: first version generated and stored encrypted`),
    ...report.events.map(renderRotationEvent),
    ...report.decommissioned.map((name) => `Agent/${name}: ${color.yellow('decommissioned')} (roles dropped, secrets destroyed, delivered file deleted)`),
    ...report.secretsDestroyed.map((name) => `Secret/${name}: every version destroyed`),
  ];
  return lines.length === 0 ? undefined : lines.join('\n');
}

/** The same, for `apply --json`. */
export function identitySyncDocument(report: IdentitySyncReport | undefined): Record<string, unknown> | null {
  if (report === undefined) return null;
  return {
    secretsCreated: report.secretsCreated,
    secretsDestroyed: report.secretsDestroyed,
    decommissioned: report.decommissioned,
    events: report.events,
    pending: report.problems,
  };
}
