/**
 * What the end-to-end tests conclude from what they recorded: pure functions
 * over the Canary and Deployment timelines (test/e2e/lib/recorder.ts) and the
 * service's log, so the checks themselves are unit-tested
 * (test/e2e/analysis.test.ts) on histories the real engine produces only now
 * and then, such as the stale-view flaps of issue 10.
 */

/** One observed version of a Deployment. */
export interface DeploymentSample {
  /** etcd revision of this version; orders samples from the watch and the poll alike. */
  rv: number;
  /** When the recorder saw it (ms since the epoch). */
  at: number;
  replicas: number | undefined;
  /** canonicalJson of spec.template: tells one pod template from another. */
  template: string;
  availableReplicas: number;
}

/** One observed version of a Canary's status. */
export interface CanarySample {
  rv: number;
  at: number;
  step: number | undefined;
  state: string | undefined;
  oldReplicas: number | undefined;
  newReplicas: number | undefined;
  message: string | undefined;
  lastStepTime: string | null | undefined;
  nextStepTime: string | null | undefined;
  rollbackTime: string | null | undefined;
  rollbackReason: string | null | undefined;
  observedCommand: string | undefined;
}

/** One decision the service logged (server/app.ts logs every transition a sync decided). */
export interface Decision {
  time: number;
  canary: string;
  kind: string;
  why: string;
  fromStep: number;
  toStep: number;
  fromState: string;
  toState: string;
}

export function byRevision<T extends { rv: number }>(samples: readonly T[]): T[] {
  return [...samples].sort((a, b) => a.rv - b.rv);
}

/** The values, with runs of the same value kept once: the sequence of changes. */
export function changes<T>(values: readonly T[]): T[] {
  const out: T[] = [];
  for (const v of values) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return out;
}

/** spec.replicas of a Deployment, change by change. */
export function replicaSequence(samples: readonly DeploymentSample[]): (number | undefined)[] {
  return changes(byRevision(samples).map((s) => s.replicas));
}

export interface StepRegression {
  from: number;
  to: number;
  rv: number;
  at: number;
}

/**
 * Moments where status.currentStep went down. Only a rollback may do that,
 * and a rollback is new: step 0 with a rollback time not seen before. A step
 * that drops back (4 to 3), or a status that drops to 0 again with an old
 * rollback time (a stale status written back), is a regression.
 */
export function stepRegressions(samples: readonly CanarySample[]): StepRegression[] {
  const out: StepRegression[] = [];
  let prev: CanarySample | undefined;
  const rollbacksSeen = new Set<string>();
  for (const s of byRevision(samples)) {
    if (s.step === undefined) continue;
    const newRollback = s.rollbackTime != null && !rollbacksSeen.has(s.rollbackTime);
    if (s.rollbackTime != null) rollbacksSeen.add(s.rollbackTime);
    if (prev?.step !== undefined && s.step < prev.step && !(s.step === 0 && newRollback)) {
      out.push({ from: prev.step, to: s.step, rv: s.rv, at: s.at });
    }
    prev = s;
  }
  return out;
}

/** status.currentStep, change by change. */
export function stepSequence(samples: readonly CanarySample[]): number[] {
  return changes(
    byRevision(samples)
      .map((s) => s.step)
      .filter((s): s is number => s !== undefined),
  );
}

/** Replicas of step k (docs/design.md §3): new = min(k * step, total), old = the rest. */
export function split(total: number, stepReplicas: number, step: number): { old: number; new: number } {
  const n = Math.min(step * stepReplicas, total);
  return { old: total - n, new: n };
}

/**
 * The spec.replicas sequences both Deployments must show when the Canary
 * passes through `steps` in that order: one change per Deployment per step,
 * nothing in between. `initial` is what the manifests set before the Canary
 * took over.
 */
export function expectedReplicaSequences(
  total: number,
  stepReplicas: number,
  steps: readonly number[],
  initial: { old: number; new: number },
): { old: number[]; new: number[] } {
  const splits = steps.map((k) => split(total, stepReplicas, k));
  return {
    old: changes([initial.old, ...splits.map((s) => s.old)]),
    new: changes([initial.new, ...splits.map((s) => s.new)]),
  };
}

/**
 * What is wrong with `seen`, the old Deployment's spec.replicas change by
 * change, for a Canary with surge (docs/design.md §7a, hooks/steps/placement.ts `surged`)
 * that passed through steps whose old replicas are `targets` (in order, the
 * first what the manifests set). The old Deployment goes down only as new
 * replicas become available, so a step down may take several changes (one
 * per replica, or fewer when several become available between two syncs),
 * each lower than the one before and none below the step's target; it may
 * stop short when the next step or a rollback comes first (a crashing new
 * version never becomes available). A step up (a rollback) goes to its
 * target in one change. Empty when `seen` fits.
 */
export function surgeMisfits(seen: readonly (number | undefined)[], targets: readonly number[]): string[] {
  const problems: string[] = [];
  if (seen[0] !== targets[0]) problems.push(`starts at ${String(seen[0])}, not ${String(targets[0])}`);
  let cur = seen[0] ?? 0;
  let at = 0;
  for (const [i, value] of seen.slice(1).entries()) {
    const v = value ?? 0;
    // The first step from `at` on that allows v: a step down to at most v, or a step up to exactly v.
    let k = at;
    while (k < targets.length) {
      const target = targets[k] as number;
      if (v < cur ? target <= v && target < cur : v === target) break;
      k += 1;
    }
    if (k === targets.length) {
      problems.push(`change ${i + 1}: ${cur} -> ${v} fits no step after the ${at}th`);
      continue;
    }
    at = k;
    cur = v;
  }
  return problems;
}

export interface Restart {
  rollbackTime: string;
  rv: number;
  at: number;
  replicas: number;
}

/**
 * Times the new Deployment was scaled up again after an automatic rollback
 * while its pod template was still the one that was rolled back: the crashing
 * image started again without a fix. A scale-down still on its way when the
 * rollback was recorded does not count; only a rise from 0 does.
 */
export function rolledBackRestarts(
  canary: readonly CanarySample[],
  newDeployment: readonly DeploymentSample[],
): Restart[] {
  const v2 = byRevision(newDeployment);
  const out: Restart[] = [];
  const seen = new Set<string>();
  for (const s of byRevision(canary)) {
    const time = s.rollbackTime;
    if (time == null || seen.has(time)) continue;
    seen.add(time);
    if (!/^(CrashLoopBackOff|ProgressDeadlineExceeded):/.test(s.rollbackReason ?? '')) continue;
    const before = v2.filter((d) => d.at <= s.at);
    const template = (before[before.length - 1] ?? v2[0])?.template;
    if (template === undefined) continue;
    let prev: DeploymentSample | undefined;
    for (const d of v2) {
      if (
        d.at > s.at &&
        prev &&
        (prev.replicas ?? 0) === 0 &&
        (d.replicas ?? 0) > 0 &&
        d.template === template
      ) {
        out.push({ rollbackTime: time, rv: d.rv, at: d.at, replicas: d.replicas ?? 0 });
      }
      prev = d;
    }
  }
  return out;
}

/** The transitions server/app.ts logged for one Canary (`namespace/name`), in order. */
export function decisionsFromLog(log: string, canary: string, since = 0): Decision[] {
  const out: Decision[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"transition"')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // ctl.sh's own markers, or a line cut by a SIGKILL
    }
    if (entry.canary !== canary || typeof entry.transition !== 'string') continue;
    const time = typeof entry.time === 'number' ? entry.time : 0;
    if (time < since) continue;
    const from = (entry.from ?? {}) as { step?: number; state?: string };
    const to = (entry.to ?? {}) as { step?: number; state?: string };
    out.push({
      time,
      canary,
      kind: entry.transition,
      why: typeof entry.why === 'string' ? entry.why : '',
      fromStep: from.step ?? -1,
      toStep: to.step ?? -1,
      fromState: from.state ?? '',
      toState: to.state ?? '',
    });
  }
  return out;
}

/** Kinds of decision that move replicas or the step. */
const MOVES = new Set([
  'Started',
  'StepAdvanced',
  'Stopped',
  'Resumed',
  'RolledBack',
  'Restarted',
  'Completed',
]);

/** `Kind(why)->step` for each decision that moved the rollout, to compare with what a script must produce. */
export function moveLabels(decisions: readonly Decision[]): string[] {
  return decisions.filter((d) => MOVES.has(d.kind)).map((d) => `${d.kind}(${d.why})->${d.toStep}`);
}

/** How often each decision label occurs: a step decided twice shows as 2. */
export function countBy(labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of labels) out[l] = (out[l] ?? 0) + 1;
  return out;
}

/** Labels decided more than `allowed[label] ?? 1` times. */
export function repeated(
  labels: readonly string[],
  allowed: Record<string, number> = {},
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [label, n] of Object.entries(countBy(labels))) if (n > (allowed[label] ?? 1)) out[label] = n;
  return out;
}

/** Changes of spec.replicas beyond the ones the steps needed (0 when none). */
export function extraChanges(observed: readonly unknown[], expected: readonly unknown[]): number {
  return Math.max(0, observed.length - expected.length);
}

export function sameSequence(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * How late each scheduled step was after the tick it was due at, in ms:
 * status.lastStepTime of a new step against the nextStepTime the running
 * Canary showed before it. A step taken before it was due (a command, or a
 * stale status written back) is no scheduled step and is left out.
 */
export function stepLateness(samples: readonly CanarySample[]): number[] {
  const out: number[] = [];
  let due: string | null | undefined;
  let lastStep: string | null | undefined;
  for (const s of byRevision(samples)) {
    if (s.lastStepTime && s.lastStepTime !== lastStep && due) {
      const late = Date.parse(s.lastStepTime) - Date.parse(due);
      if (late >= 0) out.push(late);
    }
    if (s.lastStepTime !== undefined) lastStep = s.lastStepTime;
    due = s.state === 'running' ? s.nextStepTime : null;
  }
  return out;
}

/** JSON with every object's keys sorted: the same object reads the same from kubectl and from the API. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
