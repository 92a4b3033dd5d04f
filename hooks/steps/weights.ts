/**
 * Owns every formula between a weight (the percent of the app on the new
 * version) and replicas, with a router and without, so the hooks, the plan,
 * the CLI and the dashboard cannot round one differently.
 */

/**
 * New replicas for `setWeight: w` without a router (docs/design.md §8): the nearest
 * whole number, halves rounded up (50% of 7 is 4: the step puts at least
 * the weight asked on the new version, as Kubernetes rounds a percent
 * maxSurge up), but at least 1 when w > 0 (a step that asks for some of the
 * new version gets some) and at most total - 1 when w < 100 (and leaves
 * some of the old). With a single replica the two bounds meet; the upper
 * one wins, so a partial weight never moves the whole app before the
 * Canary completes.
 */
export function weightReplicas(totalReplicas: number, weight: number): number {
  const rounded = Math.round((totalReplicas * weight) / 100);
  const atLeast = weight > 0 ? Math.max(rounded, 1) : rounded;
  return weight < 100 ? Math.min(atLeast, totalReplicas - 1) : atLeast;
}

/** The weight `newReplicas` of `totalReplicas` give, to the nearest percent (docs/design.md §8). */
export function weightOf(newReplicas: number, totalReplicas: number): number {
  return Math.round((100 * newReplicas) / totalReplicas);
}

/** With a router: the new replicas that carry `weight` percent of the app, 0 at 0, all at 100. */
export function replicasForWeight(totalReplicas: number, weight: number): number {
  return Math.ceil((totalReplicas * weight) / 100);
}

/** With a router: the largest weight `available` new replicas carry. */
export function carriedBy(totalReplicas: number, available: number): number {
  return Math.min(100, Math.floor((100 * available) / totalReplicas));
}
