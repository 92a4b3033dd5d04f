/**
 * What must hold of every sync of a Canary with spec.trafficRouting (docs/design.md
 * §9), in place of the replica-split invariants: the old Deployment
 * at full size until completion and the route shows 100; the new one never
 * short of the weight asked, nor of what the route (as the sync saw it)
 * still sends it; a weight above the route's only with its replicas
 * available; a complete Canary with every replica on the new version.
 * Written from docs/design.md and the two routes' documented shapes, sharing nothing
 * with the hooks' own reading of a route.
 */
import type { Deployment } from '../../hooks/wire/index.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const need = (total: number, w: number) => Math.ceil((total * w) / 100);

/** [old weight, new weight] of each list of the route that names both (Gateway API's default weight: 1). */
function pairs(routing: Obj, related: unknown): [number, number][] | undefined {
  const gw = obj(routing.gatewayAPI);
  const istio = obj(routing.istio);
  const byKind = (key: string, name: unknown) => obj(obj(obj(related)[key])[String(name)]);
  if (routing.gatewayAPI !== undefined) {
    const route = byKind('HTTPRoute.gateway.networking.k8s.io/v1', gw.httpRoute);
    if (!route.spec) return undefined;
    return list(obj(route.spec).rules).flatMap((rule) => {
      const refs = list(obj(rule).backendRefs).map(obj);
      const o = refs.find((r) => r.name === gw.oldBackend);
      const n = refs.find((r) => r.name === gw.newBackend);
      return o && n ? [[Number(o.weight ?? 1), Number(n.weight ?? 1)] as [number, number]] : [];
    });
  }
  const route = byKind('VirtualService.networking.istio.io/v1', istio.virtualService);
  if (!route.spec) return undefined;
  const same = (d: Obj, want: Obj) =>
    d.host === want.host && (d.subset ?? undefined) === (want.subset ?? undefined);
  const names = istio.routes === undefined ? undefined : list(istio.routes);
  return list(obj(route.spec).http)
    .map(obj)
    .filter((h) => names === undefined || names.includes(h.name))
    .flatMap((h) => {
      const dests = list(h.route).map(obj);
      const o = dests.find((d) => same(obj(d.destination), obj(istio.oldDestination)));
      const n = dests.find((d) => same(obj(d.destination), obj(istio.newDestination)));
      return o && n ? [[Number(o.weight ?? NaN), Number(n.weight ?? NaN)] as [number, number]] : [];
    });
}

export function routedComplaints(
  spec: Obj,
  related: unknown,
  observed: Record<string, Deployment>,
  status: Obj,
): string[] {
  const rules = pairs(obj(spec.trafficRouting), related);
  if (rules === undefined || rules.length === 0) return [`a ${String(status.state)} sync without its route`];
  const [first] = rules;
  const shown =
    first && rules.every(([o, n]) => n === first[1] && o + n === 100) ? (first[1] as number) : undefined;
  const sends = Math.max(
    0,
    ...rules.map(([o, n]) => (n === 0 ? 0 : o + n > 0 ? Math.ceil((100 * n) / (o + n)) : 100)),
  );
  const total = spec.totalReplicas as number;
  const oldReplicas = status.oldReplicas as number;
  const newReplicas = status.newReplicas as number;
  const weight = status.weight as number;
  const observedNew = observed[String(spec.newDeployment)];
  const available = observedNew?.status?.availableReplicas ?? 0;
  const complaints: string[] = [];
  const released = status.state === 'complete' && shown === 100;
  if (oldReplicas !== (released ? 0 : total)) {
    complaints.push(`routed: old ${oldReplicas} in state ${String(status.state)} with the route at ${shown}`);
  }
  if (newReplicas < need(total, weight)) complaints.push(`routed: new ${newReplicas} short of ${weight}%`);
  if (
    newReplicas < Math.min(need(total, Number.isNaN(sends) ? 100 : sends), observedNew?.spec.replicas ?? 0)
  ) {
    complaints.push(`routed: new scaled to ${newReplicas} while the route sends ${sends}%`);
  }
  if (shown !== undefined && weight > shown && available < need(total, weight)) {
    complaints.push(`routed: weight ${shown} -> ${weight} with ${available} new available`);
  }
  if (status.state === 'complete' && newReplicas !== total) {
    complaints.push(`routed: complete with ${newReplicas} of ${total} new replicas`);
  }
  return complaints;
}
