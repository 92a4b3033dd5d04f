/** Owns when a pause step ends, for the state machine and the plan alike. */
import { nextTickAfter } from '../k8s/cron.js';
import type { PauseSpec } from '../spec/parse.js';

/**
 * When a pause that begins at `since` ends, or null when only `promote`
 * ends it: after its duration, or at its schedule's next tick in `zone`.
 * Fixed when the pause begins, so stop, apply or an edit do not move it.
 */
export function pauseEnd(pause: PauseSpec, since: Date, zone: string): Date | null {
  if (pause.kind === 'Manual') return null;
  if (pause.kind === 'Duration') return new Date(since.getTime() + pause.seconds * 1000);
  return nextTickAfter(pause.schedule, zone, since);
}
