import { hashOf, type DesiredResource, type JsonValue, type Observation } from '../core/index.js';
import type { PriorRecord } from './prior.js';
import type { ApplyRecorder, RecordedIntent } from './recorder.js';

export interface Recovery {
  readonly address: string;
  readonly action: string;
  /** `recovered`: re-observed and recorded; `unobservable`: left pending, its target is unreachable or undeclared. */
  readonly outcome: 'recovered' | 'unobservable';
  readonly exists?: boolean;
}

/**
 * Resolves intents left pending by an interrupted run (a crash between the intent and its outcome).
 * It does not guess what happened: it records what the fresh observation shows, so the state
 * matches reality, and the plan that follows reconciles it like any other difference.
 */
export async function recoverIntents(input: {
  readonly intents: readonly RecordedIntent[];
  readonly observations: ReadonlyMap<string, Observation>;
  readonly desired: ReadonlyMap<string, DesiredResource>;
  readonly prior: ReadonlyMap<string, PriorRecord>;
  readonly recorder: ApplyRecorder;
  readonly runId: string;
}): Promise<readonly Recovery[]> {
  const recoveries: Recovery[] = [];
  for (const intent of input.intents) {
    const observation = input.observations.get(intent.address);
    if (!observation) {
      recoveries.push({ address: intent.address, action: intent.action, outcome: 'unobservable' });
      continue;
    }
    const prior = input.prior.get(intent.address);
    const desired = input.desired.get(intent.address);
    if (observation.exists) {
      const source = desired
        ? {
            kind: desired.kind,
            name: desired.name,
            target: desired.target ?? null,
            dependencies: desired.dependsOn,
            protect: desired.protect,
            // The spec that was being applied is not known to have landed; an empty hash forces a re-plan.
            specHash: prior?.specHash ?? '',
            spec: prior?.spec ?? (desired.spec as JsonValue),
          }
        : prior;
      if (source) {
        await input.recorder.putResource(
          {
            address: intent.address,
            kind: source.kind,
            name: source.name,
            target: source.target,
            specHash: source.specHash,
            spec: source.spec ?? null,
            attributes: observation.attributes,
            providerId: observation.providerId ?? null,
            dependencies: source.dependencies,
            protect: source.protect,
          },
          { runId: input.runId, action: 'recover' },
        );
      }
    } else if (prior) {
      await input.recorder.removeResource(intent.address, { runId: input.runId, action: 'recover' });
    }
    await input.recorder.resolveIntent(intent, {
      status: 'recovered',
      afterHash: observation.exists ? hashOf(observation.attributes) : null,
      detail: { exists: observation.exists, interruptedRun: intent.runId },
    });
    recoveries.push({ address: intent.address, action: intent.action, outcome: 'recovered', exists: observation.exists });
  }
  return recoveries;
}
