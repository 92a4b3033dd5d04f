/** Owns what a sync tells the world it decided: one Transition per change, for logs, metrics and Events. */
import type { CanaryState } from '../wire/index.js';

export type TransitionKind =
  | 'Started'
  | 'StepAdvanced'
  | 'Stopped'
  | 'Resumed'
  | 'RolledBack'
  | 'Restarted'
  | 'Completed'
  | 'InvalidSpec'
  | 'DeploymentMissing'
  | 'Recovered'
  | 'UnknownCommand'
  | 'Paused'
  | 'PauseEnded'
  | 'Promoted'
  | 'RouteInvalid'
  | 'WeightSet'
  | 'RoutePatchFailed'
  | 'PodsUnreadable';

export type RollbackReason = 'CrashLoopBackOff' | 'ProgressDeadlineExceeded' | 'RollbackCommand';

export interface Position {
  state: CanaryState;
  step: number;
}

/** One change a sync decided, for logs, metrics and Events. */
export interface Transition {
  kind: TransitionKind;
  /** A CamelCase cause, low-cardinality, fit for a metric label or an Event reason. */
  reason: string;
  message: string;
  warning: boolean;
  from: Position;
  to: Position;
  /** The number of the decision it belongs to (status.sequence): the same decision announced twice is one Event. */
  sequence?: number;
  /**
   * Tells apart Events of one decision that are not in its list of moves: a
   * weight written syncs after the step that asked it (server/events.ts).
   */
  eventKey?: string;
}

export function position(p: Position): Position {
  return { state: p.state, step: p.step };
}

export function transition(
  kind: TransitionKind,
  reason: string,
  message: string,
  from: Position,
  to: Position,
  warning = false,
): Transition {
  return { kind, reason, message, warning, from: position(from), to: position(to) };
}
