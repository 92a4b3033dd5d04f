/**
 * Owns the two kinds of gate of the state machine. A step gate may hold the
 * step at the current position: the step is done, and the next one may be
 * taken, only while every step gate is open. A failure gate may say the new
 * version has failed: a Canary part-way with enableRollback is rolled back.
 *
 * A new check (metric analysis, docs/design.md §13) is a gate: its file
 * here and one line in hooks/machine/gates/registry.ts. The moves of the
 * machine do not change.
 */
import type { Observed } from '../../observed/observed.js';
import type { Progress } from '../position.js';
import type { RollbackReason } from '../transitions.js';

export interface StepGate {
  readonly name: string;
  /** Open: this gate does not hold the step at `p`. */
  isOpen(p: Progress, o: Observed): boolean;
}

/** Why the new version has failed, in the words of the rollback record and its Event. */
export interface Failure {
  reason: RollbackReason;
  detail: string;
}

export interface FailureGate {
  readonly name: string;
  /** The failure this gate sees at `p`, or undefined. */
  failure(p: Progress, o: Observed): Failure | undefined;
}
