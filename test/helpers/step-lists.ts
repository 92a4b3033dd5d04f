/** Step-list Canaries for the CRD tests, shared by the offline checks and the real API server. */

/** The seed's Argo-style list. */
export const SEED_STEPS = [
  { setWeight: 20 },
  { pause: {} },
  { setWeight: 40 },
  { pause: { duration: '20s' } },
  { setWeight: 60 },
  { pause: { duration: '20s' } },
  { setWeight: 80 },
  { pause: { duration: '20s' } },
];

export function listCanary(
  patch: Record<string, unknown>,
  drop: string[] = ['stepReplicas', 'cronSchedule'],
) {
  const spec: Record<string, unknown> = {
    oldDeployment: 'old-deployment',
    newDeployment: 'new-deployment',
    totalReplicas: 10,
    stepReplicas: 2,
    cronSchedule: '* * * * *',
    timeZone: 'Asia/Seoul',
    selector: { matchLabels: { app: 'my-app' } },
  };
  for (const key of drop) delete spec[key];
  Object.assign(spec, patch);
  return {
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    kind: 'Canary',
    metadata: { name: 'list-sample', namespace: 'default' },
    spec,
  };
}

export interface BadList {
  name: string;
  spec: Record<string, unknown>;
  drop?: string[];
  /** The field the API server names (the rule's place, or its fieldPath). */
  at: string;
  /** The rule's sentence. */
  message: string;
}

export const BAD_STEP_LISTS: BadList[] = [
  {
    name: 'both forms',
    spec: { steps: [{ setWeight: 10 }] },
    drop: [],
    at: 'spec',
    message:
      'give exactly one of steps and stepReplicas: stepReplicas is the shorthand for a list of setReplicas steps',
  },
  {
    name: 'neither form',
    spec: {},
    at: 'spec',
    message:
      'give exactly one of steps and stepReplicas: stepReplicas is the shorthand for a list of setReplicas steps',
  },
  {
    name: 'an empty list',
    spec: { steps: [] },
    at: 'spec.steps',
    message: 'steps must list at least one step',
  },
  {
    name: 'a weight above 100',
    spec: { steps: [{ setWeight: 120 }] },
    at: 'spec.steps[0].setWeight',
    message: 'setWeight must be a percent from 0 to 100',
  },
  {
    name: 'a negative weight',
    spec: { steps: [{ setWeight: 10 }, { setWeight: -5 }] },
    at: 'spec.steps[1].setWeight',
    message: 'setWeight must be a percent from 0 to 100',
  },
  {
    name: 'a malformed duration',
    spec: { steps: [{ setWeight: 10 }, { pause: { duration: '10 minutes' } }] },
    at: 'spec.steps[1].pause.duration',
    message: 'duration must be hours, minutes and seconds such as 90s, 10m or 1h30m',
  },
  {
    name: 'setReplicas above totalReplicas',
    spec: { steps: [{ setReplicas: 11 }] },
    at: 'spec.steps',
    message: 'a setReplicas step must not ask for more than totalReplicas',
  },
  {
    name: 'two kinds in one step',
    spec: { steps: [{ setWeight: 10, pause: {} }] },
    at: 'spec.steps[0]',
    message: 'each step must have exactly one of setWeight, setReplicas and pause',
  },
  {
    name: 'a pause with both ends',
    spec: { steps: [{ pause: { duration: '1m', untilSchedule: '0 9 * * *' } }] },
    at: 'spec.steps[0].pause',
    message: 'a pause has at most one of duration and untilSchedule',
  },
];
