/**
 * Who sets a Canary's total (docs/design.md §10): a HorizontalPodAutoscaler whose
 * scaleTargetRef is the Canary, or whoever last wrote spec.totalReplicas as
 * the object's managedFields record it (`kubectl` for `kubectl scale` and
 * `kubectl apply`). Pure: the commands fetch, this reads.
 */
import { GROUP, type Canary } from '../hooks/wire/index.js';

/** The parts of an autoscaling/v2 HorizontalPodAutoscaler read here. */
export interface AutoscalerView {
  metadata?: { name?: string };
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
  };
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string | Date;
  fieldsV1?: { 'f:spec'?: Record<string, unknown> };
}

/** An HPA scales this Canary: its target names the Canary kind of our group and the Canary. */
export function targetsCanary(hpa: AutoscalerView, canary: Canary): boolean {
  const ref = hpa.spec?.scaleTargetRef;
  const group = ref?.apiVersion?.split('/')[0];
  return ref?.kind === 'Canary' && group === GROUP && ref.name === canary.metadata.name;
}

/** The field manager that last wrote spec.totalReplicas, with the subresource it went through. */
export function totalReplicasManager(canary: Canary): string | undefined {
  const entries = ((canary.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? []).filter(
    (e) => typeof e.manager === 'string' && e.fieldsV1?.['f:spec']?.['f:totalReplicas'] !== undefined,
  );
  const time = (e: ManagedFieldsEntry) => (e.time === undefined ? 0 : new Date(e.time).getTime() || 0);
  const latest = entries.sort((a, b) => time(b) - time(a))[0];
  if (!latest) return undefined;
  return latest.subresource
    ? `${latest.manager} (through the ${latest.subresource} subresource)`
    : latest.manager;
}

/**
 * The status page's line for the total: `20 replicas, set by
 * HorizontalPodAutoscaler web (2 to 30)`, `10 replicas, set by kubectl`.
 * `hpas` is undefined when they could not be listed (RBAC): then only the
 * managedFields speak.
 */
export function totalText(canary: Canary, hpas: readonly AutoscalerView[] | undefined): string {
  const total = (canary.spec as Record<string, unknown>).totalReplicas;
  const head = typeof total === 'number' ? `${total} replicas` : '-';
  const mine = (hpas ?? []).filter((h) => targetsCanary(h, canary));
  if (mine.length > 0) {
    const names = mine.map((h) => {
      const range =
        h.spec?.maxReplicas === undefined ? '' : ` (${h.spec.minReplicas ?? 1} to ${h.spec.maxReplicas})`;
      return `HorizontalPodAutoscaler ${h.metadata?.name ?? '?'}${range}`;
    });
    const warning = mine.length > 1 ? ' (more than one autoscaler: they fight)' : '';
    return `${head}, set by ${names.join(' and ')}${warning}`;
  }
  const manager = totalReplicasManager(canary);
  return manager ? `${head}, set by ${manager}` : head;
}
