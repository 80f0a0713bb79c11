import { StewardError } from '../core/index.js';
import { loadProject, withStore, type ProjectOptions } from '../app/index.js';
import type { ChangeRequest, ChangeRequestStatus } from '../store/index.js';
import { resolveAutonomy } from './autonomy.js';
import { approverIdentity, sameIdentity } from './identity.js';

export async function listChangeRequests(options: ProjectOptions, statuses?: readonly ChangeRequestStatus[]): Promise<readonly ChangeRequest[]> {
  return withStore(options, (store) => store.changeRequests.list({ statuses }));
}

export async function showChangeRequest(options: ProjectOptions, id: number): Promise<ChangeRequest> {
  const request = await withStore(options, (store) => store.changeRequests.get(id));
  if (!request) throw new StewardError('not-found', `there is no change request ${id}`);
  return request;
}

export function parseRequestId(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1) throw new StewardError('invalid-input', `"${text}" is not a change request id (a positive whole number)`);
  return id;
}

/**
 * Approves or rejects a change request as the current approver (the token holder of
 * STEWARD_APPROVER_TOKEN, else the OS user). Refused, and the refusal audited, when the approver
 * is not configured in the Autonomy manifest or proposed the change (separation of duties).
 */
export async function decideChangeRequest(
  options: ProjectOptions,
  input: { readonly id: number; readonly decision: 'approve' | 'reject'; readonly comment?: string },
): Promise<ChangeRequest> {
  const project = await loadProject(options);
  const autonomy = resolveAutonomy(project.resources);
  const { identity, allowed } = approverIdentity(autonomy.approvers, options.env);
  return withStore(options, async (store) => {
    const request = await store.changeRequests.get(input.id);
    if (!request) throw new StewardError('not-found', `there is no change request ${input.id}`);
    const refuse = async (message: string): Promise<never> => {
      await store.audit.append({
        actor: identity,
        runId: null,
        address: request.address,
        action: `change.${input.decision}-refused`,
        beforeHash: null,
        afterHash: request.planHash,
        outcome: 'failed',
        error: message,
        detail: { changeRequest: request.id },
      });
      throw new StewardError('invalid-input', message);
    };
    if (!allowed) await refuse(`${identity} is not an approver in the project's Autonomy manifest (${autonomy.source})`);
    if (sameIdentity(identity, request.proposer)) {
      await refuse(`${identity} proposed change request ${request.id} (as ${request.proposer}) and cannot also decide it (separation of duties)`);
    }
    return store.changeRequests.decide({ id: input.id, approver: identity, decision: input.decision, comment: input.comment });
  });
}
