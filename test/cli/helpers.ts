/** Runs the plugin in-process against the stand-in API, capturing what it prints. */
import { run, type RunEnv } from '../../cli/run.js';

export const NOW = new Date('2026-11-22T05:00:00Z');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  signal?: AbortSignal;
  stdin?: string;
  tty?: boolean;
  onOut?: (text: string) => void;
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: RunEnv = {
    out: (text) => {
      stdout += text;
      options.onOut?.(text);
    },
    err: (text) => {
      stderr += text;
    },
    now: options.now ?? (() => NOW),
    sleep: (_ms, signal) =>
      signal?.aborted
        ? Promise.reject(new Error('aborted'))
        : new Promise((resolve) => setImmediate(resolve)),
    signal: options.signal,
    tty: options.tty ?? false,
    // Never the developer's own ~/.kube/config.
    env: options.env ?? { HOME: '/nonexistent-home' },
    stdin: () => options.stdin ?? '',
    pollMs: 0,
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

export function canaryObject(
  name: string,
  options: {
    namespace?: string;
    status?: Record<string, unknown>;
    command?: string;
    spec?: Record<string, unknown>;
  } = {},
) {
  return {
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    kind: 'Canary',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      uid: `uid-${name}`,
      ...(options.command === undefined
        ? {}
        : { annotations: { 'canary.k8shuginn.io/command': options.command } }),
    },
    spec: {
      oldDeployment: `${name}-v1`,
      newDeployment: `${name}-v2`,
      totalReplicas: 10,
      stepReplicas: 2,
      cronSchedule: '*/5 * * * *',
      selector: { matchLabels: { app: name } },
      ...options.spec,
    },
    ...(options.status ? { status: options.status } : {}),
  };
}

export function deploymentObject(
  name: string,
  replicas: number,
  available: number,
  namespace = 'default',
): { metadata: { name: string; namespace: string } & Record<string, unknown> } & Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, generation: 3 },
    spec: { replicas },
    status: { observedGeneration: 3, replicas, availableReplicas: available, readyReplicas: available },
  };
}

export function runningStatus(overrides: Record<string, unknown> = {}) {
  return {
    oldReplicas: 6,
    newReplicas: 4,
    currentStep: 2,
    totalSteps: 5,
    state: 'running',
    message: 'Canary is Running',
    observedCommand: 'apply',
    lastStepTime: '2026-11-22T04:55:00Z',
    nextStepTime: '2026-11-22T05:04:30Z',
    rollback: null,
    conditions: [
      {
        type: 'Valid',
        status: 'True',
        reason: 'Valid',
        message: 'Spec and Deployments are valid',
        lastTransitionTime: '2026-11-22T04:00:00Z',
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'StepScheduled',
        message: 'Running at step 2',
        lastTransitionTime: '2026-11-22T04:50:00Z',
      },
    ],
    ...overrides,
  };
}
