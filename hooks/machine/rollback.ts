/**
 * Owns the automatic rollback: a Canary part-way whose new version fails
 * (a failure gate of hooks/machine/gates/ says so) goes back to step 0.
 */
import type { Observed } from '../observed/observed.js';
import { failureOf } from './gates/registry.js';
import { rollBack } from './moves.js';
import { isPartWay, type Stage } from './position.js';
import { transition } from './transitions.js';

export function automaticRollback(stage: Stage, o: Observed): Stage {
  const p = stage.progress;
  if (!o.spec.enableRollback || !isPartWay(p, o)) return stage;
  const failed = failureOf(p, o);
  if (failed === undefined) return stage;
  const next = rollBack(p, o, failed.reason, failed.detail);
  return {
    progress: next,
    transitions: [
      ...stage.transitions,
      transition('RolledBack', failed.reason, `Rolled back automatically: ${failed.detail}`, p, next, true),
    ],
    moved: true,
  };
}
