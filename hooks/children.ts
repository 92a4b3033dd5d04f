/**
 * The children a response returns: every observed Deployment, minimal, with
 * the replicas asked of the two the Canary scales and the decision record
 * stamped where it belongs.
 */
import { DECISION_ANNOTATION, readRecord } from './record.js';
import type { Canary, Deployment, DesiredChild } from './wire.js';

function minimalChild(
  deployment: Deployment,
  replicas: number | undefined,
  stamp: string | undefined,
): DesiredChild {
  const child: DesiredChild = {
    apiVersion: deployment.apiVersion,
    kind: deployment.kind,
    metadata: { name: deployment.metadata.name },
    spec: {},
  };
  if (deployment.metadata.labels !== undefined) child.metadata.labels = deployment.metadata.labels;
  if (stamp !== undefined) child.metadata.annotations = { [DECISION_ANNOTATION]: stamp };
  if (replicas !== undefined) child.spec.replicas = replicas;
  return child;
}

/** The decision record to stamp on some of the children (hooks/record.ts). */
export interface Stamp {
  names: ReadonlySet<string>;
  value: string;
}

/** Every observed Deployment, each as observed except the two the canary scales. */
export function desiredChildren(
  deployments: ReadonlyMap<string, Deployment>,
  replicas: ReadonlyMap<string, number> = new Map(),
  stamp?: Stamp,
): DesiredChild[] {
  return [...deployments.entries()].map(([name, deployment]) =>
    minimalChild(
      deployment,
      replicas.get(name) ?? deployment.spec.replicas,
      stamp?.names.has(name) ? stamp.value : undefined,
    ),
  );
}

/**
 * The Deployments to carry the record: the two the Canary scales, and any
 * that carries its record already (a spec too broken to name them must not
 * leave a stale record behind). None without a uid to tell Canaries apart.
 */
export function stampOn(
  canary: Canary,
  deployments: ReadonlyMap<string, Deployment>,
  scaled: Iterable<string>,
  record: string,
): Stamp | undefined {
  const uid = canary.metadata.uid ?? '';
  if (uid === '') return undefined;
  const names = new Set([...scaled].filter((name) => deployments.has(name)));
  for (const [name, deployment] of deployments) {
    if (readRecord(deployment, uid)) names.add(name);
  }
  return { names, value: record };
}
