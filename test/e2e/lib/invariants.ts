/**
 * The invariants a rollout must keep at every moment, whatever fails around
 * it, as pure functions over what test/e2e/lib/sampler.ts recorded (every
 * version of the Canaries and Deployments of a namespace, from a watch and a
 * poll every second), so the checks are unit-tested
 * (test/e2e/invariants.test.ts) on histories the real engine shows only now
 * and then:
 *
 * - capacity: old + new spec.replicas never above totalReplicas +
 *   stepReplicas. A step writes both Deployments, one after the other, so for
 *   a moment one may have moved and the other not; more than one step's worth
 *   is two decisions applied at once, or a stale one applied over a newer.
 * - the availability gate (docs/design.md §4, hooks/k8s/deployments.ts
 *   `availability`): the new Deployment is scaled up from `a` to more only
 *   after some version of it showed spec.replicas `a`, a Deployment
 *   controller that had observed that generation, and `a` replicas available.
 * - one step per tick: step k+1 is decided no earlier than the first tick of
 *   the schedule after step k (status.lastStepTime), so a service or
 *   Metacontroller coming back after missing ticks takes one step, not a
 *   burst. How late it was after that tick is the step's lateness.
 *
 * The checks assume a rollout driven by `apply` and the schedule only (no
 * `completion`, `stop` or pod template change, which the fault tests do not
 * use): then every rise of the new Deployment above 0 is a step.
 */
import { CronExpressionParser } from 'cron-parser';

/** A Canary as the fault tests create it: what the invariants are computed from. */
export interface CanaryUnderTest {
  name: string;
  oldDeployment: string;
  newDeployment: string;
  totalReplicas: number;
  stepReplicas: number;
  cronSchedule: string;
  timeZone?: string;
}

/** One version of a Deployment (one resourceVersion), and when the sampler saw it. */
export interface DeploymentVersion {
  name: string;
  rv: number;
  at: number;
  replicas: number | undefined;
  generation: number | undefined;
  observedGeneration: number | undefined;
  available: number;
  /** Names of the Canaries in its ownerReferences. */
  canaryOwners: string[];
}

/** One version of a Canary. */
export interface CanaryVersion {
  name: string;
  rv: number;
  at: number;
  step: number | undefined;
  state: string | undefined;
  lastStepTime: string | null | undefined;
  message: string | undefined;
  deleting: boolean;
}

export interface Violation {
  kind: 'capacity' | 'gate' | 'early-step' | 'jump';
  canary: string;
  at: number;
  rv: number;
  detail: string;
}

export function byRv<T extends { rv: number }>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => a.rv - b.rv);
}

/** Replicas of step k (docs/design.md §3). */
export function newReplicasAt(c: CanaryUnderTest, step: number): number {
  return Math.min(step * c.stepReplicas, c.totalReplicas);
}

/**
 * Every moment (every resourceVersion the sampler knows of) at which the two
 * Deployments together asked for more than totalReplicas + stepReplicas.
 * Replaying the versions in resourceVersion order gives the state between
 * any two writes: a collection watch delivers every write in that order, and
 * the poll's lists fill whatever a re-opened watch did not deliver.
 */
export function capacityViolations(c: CanaryUnderTest, versions: readonly DeploymentVersion[]): Violation[] {
  const limit = c.totalReplicas + c.stepReplicas;
  const current = new Map<string, number | undefined>();
  const out: Violation[] = [];
  for (const v of byRv(versions)) {
    if (v.name !== c.oldDeployment && v.name !== c.newDeployment) continue;
    current.set(v.name, v.replicas);
    const old = current.get(c.oldDeployment);
    const now = current.get(c.newDeployment);
    if (old === undefined || now === undefined) continue;
    if (old + now > limit) {
      out.push({
        kind: 'capacity',
        canary: c.name,
        at: v.at,
        rv: v.rv,
        detail: `${c.oldDeployment}=${old} + ${c.newDeployment}=${now} = ${old + now} > ${c.totalReplicas} + ${c.stepReplicas}`,
      });
    }
  }
  return out;
}

/** The gate of hooks/k8s/deployments.ts: spec at `asked`, generation observed, `asked` available. */
function gateOpen(v: DeploymentVersion, asked: number): boolean {
  const observed = v.generation === undefined || (v.observedGeneration ?? 0) >= v.generation;
  return v.replicas === asked && observed && v.available >= asked;
}

/**
 * Each rise of the new Deployment's spec.replicas from `a > 0` that no
 * version at `a` had earned: the step was taken before the replicas of the
 * step before were available. A rise from 0 is step 1 (apply), which has no
 * step before it to wait for.
 */
export function gateViolations(c: CanaryUnderTest, versions: readonly DeploymentVersion[]): Violation[] {
  const out: Violation[] = [];
  let asked: number | undefined;
  let open = false;
  let best = 0;
  for (const v of byRv(versions.filter((x) => x.name === c.newDeployment))) {
    if (v.replicas === undefined) continue;
    if (asked === undefined || v.replicas !== asked) {
      if (asked !== undefined && asked > 0 && v.replicas > asked && !open) {
        out.push({
          kind: 'gate',
          canary: c.name,
          at: v.at,
          rv: v.rv,
          detail: `${c.newDeployment} scaled ${asked} -> ${v.replicas} though it never had ${asked} available (at most ${best}, or not observed)`,
        });
      }
      asked = v.replicas;
      open = false;
      best = 0;
    }
    if (v.replicas === asked) best = Math.max(best, v.available);
    if (gateOpen(v, asked)) open = true;
  }
  return out;
}

/** The first tick of `schedule` strictly after `after`, in `timeZone`; whole minutes, as hooks/k8s/cron.ts. */
export function nextTick(schedule: string, timeZone: string | undefined, after: number): number {
  const five = schedule.trim().startsWith('@') ? schedule.trim() : `0 ${schedule.trim()}`;
  const expr = CronExpressionParser.parse(five, { tz: timeZone ?? 'UTC', currentDate: new Date(after) });
  return expr.next().getTime();
}

/** One step as it happened. */
export interface StepRecord {
  canary: string;
  step: number;
  /** status.lastStepTime of the step (whole seconds, the service's clock). */
  decidedAt: number;
  /** When the sampler first saw the new Deployment asked for this step's replicas. */
  appliedAt: number | undefined;
  /** The tick it was due at: the first after the step before (undefined for step 1, taken on apply). */
  dueAt: number | undefined;
  /** decidedAt - dueAt: how late after its tick the service decided it. */
  latenessMs: number | undefined;
  /** appliedAt - dueAt: how late after its tick the cluster had it. */
  appliedLatenessMs: number | undefined;
}

/**
 * The steps of one Canary in the order its status showed them, each with the
 * tick it was due at and how late it came. Only rises by one step count:
 * the first version that shows step k after one that showed k - 1.
 */
export function stepRecords(
  c: CanaryUnderTest,
  canary: readonly CanaryVersion[],
  deployments: readonly DeploymentVersion[],
): StepRecord[] {
  const firstAsked = new Map<number, number>();
  for (const v of byRv(deployments.filter((d) => d.name === c.newDeployment))) {
    if (v.replicas !== undefined && !firstAsked.has(v.replicas)) firstAsked.set(v.replicas, v.at);
  }
  const out: StepRecord[] = [];
  let prevStep: number | undefined;
  let prevTime: number | undefined;
  for (const v of byRv(canary.filter((x) => x.name === c.name))) {
    if (v.step === undefined) continue;
    if (v.step === (prevStep ?? 0) + 1 && v.lastStepTime) {
      const decidedAt = Date.parse(v.lastStepTime);
      const dueAt =
        v.step >= 2 && prevTime !== undefined ? nextTick(c.cronSchedule, c.timeZone, prevTime) : undefined;
      const appliedAt = firstAsked.get(newReplicasAt(c, v.step));
      out.push({
        canary: c.name,
        step: v.step,
        decidedAt,
        appliedAt,
        dueAt,
        latenessMs: dueAt === undefined ? undefined : decidedAt - dueAt,
        appliedLatenessMs: dueAt === undefined || appliedAt === undefined ? undefined : appliedAt - dueAt,
      });
      prevTime = decidedAt;
    }
    if (v.step !== prevStep) prevStep = v.step;
  }
  return out;
}

/** Steps decided before the tick they were due at: two steps within one tick. */
export function earlySteps(records: readonly StepRecord[]): Violation[] {
  return records
    .filter((r) => r.latenessMs !== undefined && r.latenessMs < 0)
    .map((r) => ({
      kind: 'early-step' as const,
      canary: r.canary,
      at: r.decidedAt,
      rv: 0,
      detail: `step ${r.step} decided at ${iso(r.decidedAt)}, before its tick ${iso(r.dueAt ?? 0)}`,
    }));
}

/**
 * Rises of status.currentStep by more than one: two steps decided at once
 * (only `completion` may do that, and the fault tests do not use it).
 */
export function stepJumps(c: CanaryUnderTest, canary: readonly CanaryVersion[]): Violation[] {
  const out: Violation[] = [];
  let prev: number | undefined;
  for (const v of byRv(canary.filter((x) => x.name === c.name))) {
    if (v.step === undefined) continue;
    if (prev !== undefined && v.step > prev + 1) {
      out.push({
        kind: 'jump',
        canary: c.name,
        at: v.at,
        rv: v.rv,
        detail: `currentStep ${prev} -> ${v.step} in one write`,
      });
    }
    prev = v.step;
  }
  return out;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * What happened to one Canary and its Deployments, one line per version in
 * resourceVersion order, for failure messages: a violation is read against
 * the moments around it.
 */
export function timeline(
  c: CanaryUnderTest,
  canary: readonly CanaryVersion[],
  deployments: readonly DeploymentVersion[],
  { from = 0, to = Infinity, limit = 80 } = {},
): string {
  type Row = { rv: number; at: number; text: string };
  const rows: Row[] = [];
  for (const v of canary) {
    if (v.name !== c.name) continue;
    rows.push({
      rv: v.rv,
      at: v.at,
      text: `canary step=${v.step} ${v.state}${v.deleting ? ' deleting' : ''} last=${v.lastStepTime ?? '-'} "${v.message ?? ''}"`,
    });
  }
  for (const v of deployments) {
    if (v.name !== c.oldDeployment && v.name !== c.newDeployment) continue;
    const role = v.name === c.oldDeployment ? 'old' : 'new';
    rows.push({
      rv: v.rv,
      at: v.at,
      text: `${role} ${v.name} replicas=${v.replicas} available=${v.available} gen=${v.generation}/${v.observedGeneration}${v.canaryOwners.length ? '' : ' (no owner)'}`,
    });
  }
  const seen = new Set<string>();
  const lines = byRv(rows)
    .filter((r) => r.at >= from && r.at <= to)
    .filter((r) => {
      const key = `${r.rv}/${r.text}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((r) => `${iso(r.at).slice(11, 23)} rv=${r.rv} ${r.text}`);
  return lines.length > limit
    ? [...lines.slice(0, limit / 2), `... ${lines.length - limit} more ...`, ...lines.slice(-limit / 2)].join(
        '\n',
      )
    : lines.join('\n');
}

export interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length === 0
      ? NaN
      : (sorted[
          Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
        ] as number);
  return { n: sorted.length, p50: at(50), p99: at(99), max: sorted.length ? (sorted.at(-1) as number) : NaN };
}
