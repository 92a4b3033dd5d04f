/**
 * Owns the children a response returns: every observed Deployment, minimal, with
 * the replicas asked of the two the Canary scales and the decision record
 * stamped where it belongs.
 */
import { isAtRest } from '../k8s/deployments.js';
import { DECISION_ANNOTATION, readRecord } from '../observed/record.js';
import type { Canary, Deployment, DesiredChild } from '../wire/index.js';

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
  // Unstamped, a record stays as it is: leaving it out of the answer would have
  // Metacontroller delete it (its three-way merge drops what it applied before).
  const record = stamp ?? deployment.metadata.annotations?.[DECISION_ANNOTATION];
  if (record !== undefined) child.metadata.annotations = { [DECISION_ANNOTATION]: record };
  if (replicas !== undefined) child.spec.replicas = replicas;
  return child;
}

/** The decision record to stamp on some of the children (hooks/observed/record.ts). */
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
 * Where an error's record goes: the two the Canary scales, and any that
 * carries its record already (a spec too broken to name them must not leave
 * a stale record behind). None without a uid to tell Canaries apart.
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

/**
 * Where a decision's record goes: on the Deployments whose replicas it
 * changes, which are written anyway, so a step costs the Deployment writes
 * its replicas need and no more. Stamping the old Deployment too, unchanged
 * while a surge step scales the new one up, was a third write per step
 * (issue 11). The others keep the record they carry: the newest among them
 * is the one that counts (newestRecord). A decision that changes no
 * replicas (a pause begins, a command) goes on the first of `fallback`
 * that exists: the new Deployment, then the old.
 *
 * The record must outlive a refused write, or the next sync takes the
 * decision again from the status before it (a second Event, a later step
 * time). Metacontroller writes from its cache, so a write to a Deployment
 * its controller is still busy with (a new pod template, pods coming up)
 * is often refused as a conflict; when a stamped Deployment is not at rest
 * and no Deployment carries the record yet, the other Deployments named in
 * `fallback` carry it as well.
 */
export function stampWhereWritten(
  canary: Canary,
  deployments: ReadonlyMap<string, Deployment>,
  replicas: ReadonlyMap<string, number>,
  fallback: readonly string[],
  record: string,
): Stamp | undefined {
  if ((canary.metadata.uid ?? '') === '') return undefined;
  const names = new Set<string>();
  for (const [name, count] of replicas) {
    const deployment = deployments.get(name);
    if (deployment !== undefined && deployment.spec.replicas !== count) names.add(name);
  }
  if (names.size === 0) {
    const first = fallback.find((name) => deployments.has(name));
    if (first !== undefined) names.add(first);
  }
  const kept = [...deployments.values()].some(
    (d) => d.metadata.annotations?.[DECISION_ANNOTATION] === record,
  );
  const mayBeRefused = [...names].some((name) => {
    const deployment = deployments.get(name);
    return deployment !== undefined && !isAtRest(deployment);
  });
  if (!kept && mayBeRefused) for (const name of fallback) if (deployments.has(name)) names.add(name);
  return { names, value: record };
}
