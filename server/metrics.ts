/** Prometheus metrics on the service's own registry, so tests and apps never share counters. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Transition } from '../hooks/sync.js';

export type Outcome = 'success' | 'client_error' | 'server_error';

export interface Metrics {
  registry: Registry;
  observeRequest(hook: string, outcome: Outcome, seconds: number): void;
  observeTransitions(transitions: readonly Transition[]): void;
}

export function outcomeOf(statusCode: number): Outcome {
  if (statusCode >= 500) return 'server_error';
  if (statusCode >= 400) return 'client_error';
  return 'success';
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'canary_hooks_requests_total',
    help: 'Hook requests served, by hook and outcome',
    labelNames: ['hook', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'canary_hooks_request_duration_seconds',
    help: 'Time to answer a hook request, by hook and outcome',
    labelNames: ['hook', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const steps = new Counter({
    name: 'canary_steps_total',
    help: 'Steps taken: rollouts started or restarted at step 1, and steps advanced on schedule',
    registers: [registry],
  });
  const rollbacks = new Counter({
    name: 'canary_rollbacks_total',
    help: 'Rollbacks, by reason (CrashLoopBackOff, ProgressDeadlineExceeded, RollbackCommand)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const completions = new Counter({
    name: 'canary_completions_total',
    help: 'Canaries completed, by reason (AllStepsDone, CompletionCommand)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });

  return {
    registry,
    observeRequest(hook, outcome, seconds) {
      requests.inc({ hook, outcome });
      duration.observe({ hook, outcome }, seconds);
    },
    observeTransitions(transitions) {
      for (const t of transitions) {
        if (t.kind === 'Started' || t.kind === 'Restarted' || t.kind === 'StepAdvanced') steps.inc();
        if (t.kind === 'Completed' && t.reason === 'AllStepsDone') steps.inc();
        if (t.kind === 'RolledBack') rollbacks.inc({ reason: t.reason });
        if (t.kind === 'Completed') completions.inc({ reason: t.reason });
      }
    },
  };
}
