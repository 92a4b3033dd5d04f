/**
 * For `bench/e2e.js`: how late a surge's old replicas are let go. Each step
 * of a surge Canary asks the new Deployment for its replicas first and
 * scales the old one down only once they are available (docs/design.md §7a),
 * so the old one's `spec.replicas` drops after the new one's
 * `status.availableReplicas` rises. What lies between the two is the
 * control loop's reaction: the Deployment's status event, Metacontroller's
 * sync, the service's answer and Metacontroller's write.
 *
 * A `kubectl get deployments --watch` in the bench's namespace, each line
 * stamped with the time it arrived (both moments pass through the same
 * watch, so its own delay cancels out).
 */
import { spawn } from 'node:child_process';

/**
 * @typedef {{ at: number, replicas: number, available: number }} Sample
 * @param {string} kubectl
 * @param {string} namespace
 */
export function watchDeployments(kubectl, namespace) {
  /** @type {Map<string, Sample[]>} */
  const timelines = new Map();
  const child = spawn(
    kubectl,
    [
      'get',
      'deployments',
      '-n',
      namespace,
      '--watch',
      '-o',
      'jsonpath={.metadata.name} {.spec.replicas} {.status.availableReplicas}{"\\n"}',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (/** @type {string} */ chunk) => {
    const at = Date.now();
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const [name, replicas, available] = line.trim().split(' ');
      if (!name) continue;
      const samples = timelines.get(name) ?? [];
      samples.push({ at, replicas: Number(replicas || 0), available: Number(available || 0) });
      timelines.set(name, samples);
    }
  });
  return {
    timelines,
    stop: () => child.kill(),
  };
}

/**
 * For each step k of each Canary (old `<name>-v1`, new `<name>-v2`, `total`
 * replicas, one a step): when the new Deployment first had k available, and
 * when the old one first asked total - k or fewer; the difference in ms.
 *
 * @param {Map<string, Sample[]>} timelines
 * @param {{ name: string, total: number }[]} specs
 * @param {number} from only what happened after this (the apply)
 */
export function letGoLateness(timelines, specs, from) {
  /** @type {number[]} */
  const out = [];
  for (const { name, total } of specs) {
    const v1 = (timelines.get(`${name}-v1`) ?? []).filter((s) => s.at >= from);
    const v2 = (timelines.get(`${name}-v2`) ?? []).filter((s) => s.at >= from);
    for (let k = 1; k <= total; k++) {
      const available = v2.find((s) => s.available >= k)?.at;
      const letGo = v1.find((s) => s.replicas <= total - k)?.at;
      if (available !== undefined && letGo !== undefined) out.push(letGo - available);
    }
  }
  return out;
}
