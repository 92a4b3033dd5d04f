/** Prometheus metrics on the service's own registry, so tests and apps never share counters. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SyncDecision, Transition } from '../hooks/sync.js';
import { CANARY_STATES, type Canary, type FinalizeResponse } from '../hooks/wire/index.js';
import { DEFAULT_MAX_CANARY_SERIES } from './config.js';

export type Outcome = 'success' | 'client_error' | 'server_error';

export interface Metrics {
  registry: Registry;
  observeRequest(hook: string, outcome: Outcome, seconds: number): void;
  observeTransitions(transitions: readonly Transition[]): void;
  /**
   * Per-Canary gauges from a sync's answer, and the time between steps. For
   * `buildApp({ onSynced })`; never throws.
   */
  observeSync(canary: Canary, decision: SyncDecision): void;
  /** Drops a Canary's series once its finalize answered `finalized: true`. For `buildApp({ onFinalized })`. */
  observeFinalize(canary: Canary, response: FinalizeResponse): void;
  /** One write on a route of spec.trafficRouting, by router and outcome (server/traffic.ts). */
  observeRoutePatch(router: string, outcome: string): void;
  /** One read of a new Deployment's pods (server/pods.ts), by outcome; at rest there are none. */
  observePodRead(outcome: string): void;
}

/** Seconds between steps: a minute-by-minute demo up to a weekly schedule. */
export const STEP_INTERVAL_BUCKETS = [
  60,
  300,
  900,
  1800,
  3600,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  86400,
  3 * 86400,
  7 * 86400,
];

const ROLLBACK_REASONS = ['CrashLoopBackOff', 'ProgressDeadlineExceeded', 'RollbackCommand'] as const;
type RollbackReasonLabel = (typeof ROLLBACK_REASONS)[number] | 'Other';

/**
 * status.rollback.reason is "<Reason>: <detail>"; the label keeps the reason
 * alone, so pod names in the detail never make new series.
 */
export function rollbackReasonLabel(reason: string): RollbackReasonLabel {
  const head = reason.split(':', 1)[0]?.trim();
  return ROLLBACK_REASONS.find((known) => known === head) ?? 'Other';
}

function secondsOf(time: string | null): number {
  return time === null ? Number.NaN : Date.parse(time) / 1000;
}

function setOrRemove<L extends string>(gauge: Gauge<L>, labels: Partial<Record<L, string>>, value: number) {
  if (Number.isFinite(value)) gauge.set(labels, value);
  else gauge.remove(labels);
}

export function outcomeOf(statusCode: number): Outcome {
  if (statusCode >= 500) return 'server_error';
  if (statusCode >= 400) return 'client_error';
  return 'success';
}

/** The longest names Kubernetes allows: a longer one is no Canary's and gets no series. */
const MAX_NAMESPACE_CHARS = 63;
const MAX_NAME_CHARS = 253;

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** Canaries with per-Canary series at most; a sync of one more sets none (server/config.ts). */
  maxCanaries?: number;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const maxCanaries = options.maxCanaries ?? DEFAULT_MAX_CANARY_SERIES;
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Every series of this service is on its own registry; only the name, help and labels differ.
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });

  const requests = counter('canary_hooks_requests_total', 'Hook requests served, by hook and outcome', [
    'hook',
    'outcome',
  ]);
  const duration = new Histogram({
    name: 'canary_hooks_request_duration_seconds',
    help: 'Time to answer a hook request, by hook and outcome',
    labelNames: ['hook', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const steps = counter(
    'canary_steps_total',
    'Steps taken: rollouts started or restarted at step 1, steps advanced, and steps taken by promote',
  );
  const rollbacks = counter(
    'canary_rollbacks_total',
    'Rollbacks, by reason (CrashLoopBackOff, ProgressDeadlineExceeded, RollbackCommand)',
    ['reason'],
  );
  const completions = counter(
    'canary_completions_total',
    'Canaries completed, by reason (AllStepsDone, CompletionCommand, SingleStep)',
    ['reason'],
  );

  const promotions = counter(
    'canary_promotions_total',
    'promote commands that acted, by what they did: ended a pause, or took a step before its tick',
    ['action'],
  );

  const perCanary = ['namespace', 'name'] as const;
  /** A gauge with a series per Canary, and per value of `more` labels. */
  const canaryGauge = <L extends string>(name: string, help: string, ...more: L[]) =>
    gauge(name, help, [...perCanary, ...more]);
  const state = canaryGauge(
    'canary_state',
    'The state of each Canary: 1 for its current state (stop, running, complete, error), 0 for the others',
    'state',
  );
  const currentStep = canaryGauge(
    'canary_current_step',
    'The step each Canary is at; 0 is pending or rolled back',
  );
  const totalStepsGauge = canaryGauge(
    'canary_total_steps',
    'The number of steps of each Canary: ceil(totalReplicas / stepReplicas)',
  );
  const replicas = canaryGauge(
    'canary_replicas',
    'Replicas each Canary asks of its old and new Deployment',
    'deployment',
  );
  const nextStep = canaryGauge(
    'canary_next_step_timestamp_seconds',
    'When the next step of each running Canary is due, in Unix seconds (absent when none is due)',
  );
  const trafficWeight = canaryGauge(
    'canary_traffic_weight',
    'Percent of the app each Canary asks of its new version: on the route with trafficRouting, by replicas without',
  );
  const routePatches = counter(
    'canary_route_patch_total',
    'Writes of the weights on a route, by router (gatewayAPI, istio) and outcome (success, conflict, forbidden, not_found, error)',
    ['router', 'outcome'],
  );
  const lastStep = canaryGauge(
    'canary_last_step_timestamp_seconds',
    'When each Canary last took a step, in Unix seconds (absent before its first)',
  );
  // Per Canary, unlike canary_rollbacks_total: an alert can name the Canary, and
  // every replica that syncs it reports the same time, so max() across pods is exact.
  const lastRollback = canaryGauge(
    'canary_rollback_timestamp_seconds',
    'When each Canary last rolled back (status.rollback.time), in Unix seconds, by reason; absent if it never has',
    'reason',
  );
  const podReads = counter(
    'canary_pod_reads_total',
    "Lists of a new Deployment's pods through the API, by outcome (success, timeout, forbidden, unreachable, no_api, error)",
    ['outcome'],
  );
  const stepInterval = new Histogram({
    name: 'canary_step_interval_seconds',
    help: 'Time from one step of a Canary to its next step taken on schedule',
    buckets: STEP_INTERVAL_BUCKETS,
    registers: [registry],
  });
  const untracked = new Counter({
    name: 'canary_series_untracked_total',
    help: 'Syncs of a Canary that got no per-Canary series: over the cap on tracked Canaries, or a name no Kubernetes object can have',
    registers: [registry],
  });
  // What each Canary's gauges were last set to, so an unchanged sync costs one string compare.
  // Its size is the number of Canaries with series, capped at maxCanaries.
  const lastSeen = new Map<string, string>();
  // The reason label of each Canary's rollback series, to drop it when a newer rollback has another.
  const rollbackReason = new Map<string, RollbackReasonLabel>();

  const keyOf = (canary: Canary) => ({
    namespace: canary.metadata.namespace ?? 'default',
    name: canary.metadata.name,
  });

  return {
    registry,
    observeSync(canary, decision) {
      try {
        const labels = keyOf(canary);
        const s = decision.response.status;
        for (const t of decision.transitions) {
          const stepped =
            t.kind === 'StepAdvanced' || (t.kind === 'Completed' && t.reason === 'AllStepsDone');
          const before = canary.status?.lastStepTime;
          if (!stepped || typeof before !== 'string' || s.lastStepTime === null) continue;
          const seconds = (Date.parse(s.lastStepTime) - Date.parse(before)) / 1000;
          if (Number.isFinite(seconds) && seconds >= 0) stepInterval.observe(seconds);
        }
        const key = `${labels.namespace}/${labels.name}`;
        const tracked = lastSeen.has(key);
        const plausible =
          labels.namespace.length <= MAX_NAMESPACE_CHARS && labels.name.length <= MAX_NAME_CHARS;
        if (!tracked && (!plausible || lastSeen.size >= maxCanaries)) {
          untracked.inc();
          return;
        }
        const snapshot = `${s.state} ${s.currentStep} ${s.totalSteps} ${s.oldReplicas} ${s.newReplicas} ${s.nextStepTime} ${s.weight} ${s.lastStepTime} ${s.rollback?.time}`;
        if (lastSeen.get(key) === snapshot) return;
        lastSeen.set(key, snapshot);
        for (const candidate of CANARY_STATES)
          state.set({ ...labels, state: candidate }, candidate === s.state ? 1 : 0);
        currentStep.set(labels, s.currentStep);
        totalStepsGauge.set(labels, s.totalSteps);
        replicas.set({ ...labels, deployment: 'old' }, s.oldReplicas);
        replicas.set({ ...labels, deployment: 'new' }, s.newReplicas);
        trafficWeight.set(labels, s.weight);
        const next = s.nextStepTime === undefined ? Number.NaN : Date.parse(s.nextStepTime) / 1000;
        if (Number.isFinite(next)) nextStep.set(labels, next);
        else nextStep.remove(labels);
        setOrRemove(lastStep, labels, secondsOf(s.lastStepTime));
        const reason = s.rollback === null ? undefined : rollbackReasonLabel(s.rollback.reason);
        const before = rollbackReason.get(key);
        if (before !== undefined && before !== reason) lastRollback.remove({ ...labels, reason: before });
        if (reason === undefined) rollbackReason.delete(key);
        else {
          rollbackReason.set(key, reason);
          setOrRemove(lastRollback, { ...labels, reason }, secondsOf(s.rollback?.time ?? null));
        }
      } catch {
        // Metrics must never fail a sync.
      }
    },
    observeFinalize(canary, response) {
      if (!response.finalized) return;
      const labels = keyOf(canary);
      const key = `${labels.namespace}/${labels.name}`;
      lastSeen.delete(key);
      const reason = rollbackReason.get(key);
      if (reason !== undefined) lastRollback.remove({ ...labels, reason });
      rollbackReason.delete(key);
      lastStep.remove(labels);
      for (const candidate of CANARY_STATES) state.remove({ ...labels, state: candidate });
      currentStep.remove(labels);
      totalStepsGauge.remove(labels);
      replicas.remove({ ...labels, deployment: 'old' });
      replicas.remove({ ...labels, deployment: 'new' });
      trafficWeight.remove(labels);
      nextStep.remove(labels);
    },
    observeRoutePatch(router, outcome) {
      routePatches.inc({ router, outcome });
    },
    observePodRead(outcome) {
      podReads.inc({ outcome });
    },
    observeRequest(hook, outcome, seconds) {
      requests.inc({ hook, outcome });
      duration.observe({ hook, outcome }, seconds);
    },
    observeTransitions(transitions) {
      for (const t of transitions) {
        if (t.kind === 'Started' || t.kind === 'Restarted' || t.kind === 'StepAdvanced') steps.inc();
        if (t.kind === 'Promoted') {
          steps.inc();
          promotions.inc({ action: 'step' });
        }
        if (t.kind === 'PauseEnded' && t.reason === 'PromoteCommand') promotions.inc({ action: 'pause' });
        if (t.kind === 'Completed' && t.reason === 'AllStepsDone') steps.inc();
        if (t.kind === 'RolledBack') rollbacks.inc({ reason: t.reason });
        if (t.kind === 'Completed') completions.inc({ reason: t.reason });
      }
    },
  };
}
