/**
 * Owns the request read into one value: what the sync was shown, with the
 * spec made trustworthy, the list of steps built from it and the route
 * read. Everything after this stage decides from an Observed and the prior
 * status alone.
 */
import type { CanarySpec } from '../spec/parse.js';
import { rolloutOf, type Rollout } from '../steps/rollout.js';
import type { Canary, Deployment, Pod } from '../wire/index.js';
import type { PodReadFailure } from './request.js';
import type { TrafficView } from './route.js';

export interface Observed {
  canary: Canary;
  spec: CanarySpec;
  rollout: Rollout;
  oldDeployment: Deployment;
  newDeployment: Deployment;
  pods: readonly Pod[];
  /** The route of spec.trafficRouting as observed (hooks/observed/route.ts), or undefined without a router. */
  traffic: TrafficView | undefined;
  /** The server had to read the pods and could not (docs/design.md §11): `pods` is empty, not known empty. */
  podsUnread?: PodReadFailure;
  now: Date;
  nowText: string;
}

export function observe(fields: Omit<Observed, 'rollout'> & { spec: CanarySpec }): Observed {
  return { ...fields, rollout: rolloutOf(fields.spec) };
}
