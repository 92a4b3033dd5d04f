/** The plugin's commands: fetch, decide, print. Output text comes from `format.ts`. */
import type { V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { commandAnnotation } from '../hooks/observed/command.js';
import { planRollout } from '../hooks/plan.js';
import { countAboveTotal } from '../hooks/spec/limits.js';
import { parseSpec } from '../hooks/spec/parse.js';
import { isKnownTimeZone } from '../hooks/k8s/cron.js';
import { COMMAND_ANNOTATION, type Canary, type RawCanarySpec } from '../hooks/wire/index.js';
import { maybe, type CanaryApi, type WatchEvent } from './api.js';
import { CliError, EXIT } from './errors.js';
import type { RouteView } from './dashboard/route.js';
import { formatList, formatPlan, formatStatus, type DeploymentView } from './format.js';
import { totalText, type AutoscalerView } from './scale.js';
import { parseTimeIn } from './time.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Ends `status --watch` and any wait (Ctrl-C). */
  signal?: AbortSignal;
  /** Redraw in place (clear the screen) rather than print one block after another. */
  tty: boolean;
}

// ------------------------------------------------------------------ list

export async function listCommand(api: CanaryApi, io: Io, allNamespaces: boolean): Promise<number> {
  const namespace = allNamespaces ? undefined : api.target.namespace;
  const canaries = await api.listCanaries(namespace);
  if (canaries.length === 0) {
    io.err(allNamespaces ? 'No canaries found.\n' : `No canaries found in ${namespace} namespace.\n`);
    return EXIT.ok;
  }
  io.out(formatList(canaries, { allNamespaces, now: io.now() }));
  return EXIT.ok;
}

// ---------------------------------------------------------------- status

function deploymentView(name: string, result: V1Deployment | CliError): DeploymentView {
  if (result instanceof CliError) {
    const why = result.exitCode === EXIT.notFound ? 'not found' : result.message;
    return { found: false, name, why };
  }
  return {
    found: true,
    name,
    replicas: result.spec?.replicas,
    available: result.status?.availableReplicas ?? 0,
    ready: result.status?.readyReplicas ?? 0,
  };
}

function deploymentNames(canary: Canary): [string | undefined, string | undefined] {
  const spec = canary.spec as Record<string, unknown>;
  const name = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return [name(spec.oldDeployment), name(spec.newDeployment)];
}

async function readDeployments(api: CanaryApi, canary: Canary) {
  const namespace = canary.metadata.namespace ?? api.target.namespace;
  const [oldName, newName] = deploymentNames(canary);
  const read = async (name: string | undefined) =>
    name === undefined ? undefined : deploymentView(name, await maybe(api.getDeployment(namespace, name)));
  const [oldDeployment, newDeployment] = await Promise.all([read(oldName), read(newName)]);
  return { oldDeployment, newDeployment };
}

/** The namespace's HPAs, or undefined when they cannot be read (RBAC): the status page does without. */
async function readAutoscalers(api: CanaryApi, namespace: string): Promise<AutoscalerView[] | undefined> {
  const result = await maybe(api.listAutoscalers(namespace));
  return result instanceof CliError ? undefined : result;
}

export async function statusCommand(api: CanaryApi, io: Io, name: string, watch: boolean): Promise<number> {
  const namespace = api.target.namespace;
  const canary = await api.getCanary(namespace, name);
  const [deployments, route, hpas] = await Promise.all([
    readDeployments(api, canary),
    api.readRoute(canary),
    readAutoscalers(api, namespace),
  ]);
  if (!watch) {
    io.out(formatStatus({ canary, ...deployments, route, total: totalText(canary, hpas), now: io.now() }));
    return EXIT.ok;
  }
  return watchStatus(api, io, namespace, canary, { ...deployments, route }, hpas);
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J';
const REWATCH_DELAY_MS = 1000;

/**
 * Redraws the status page whenever the Canary or one of its Deployments
 * changes, through three watches (each re-opened when the API server closes
 * it), until Ctrl-C (the signal) or the Canary is deleted.
 */
function watchStatus(
  api: CanaryApi,
  io: Io,
  namespace: string,
  first: Canary,
  deployments: { oldDeployment?: DeploymentView; newDeployment?: DeploymentView; route?: RouteView },
  hpas: AutoscalerView[] | undefined,
): Promise<number> {
  let canary = first;
  const views = { ...deployments };
  let lastDrawn = '';
  const controllers = new Map<string, AbortController>();
  let finished = false;

  const draw = () => {
    // The HPAs are read once, at start; who last wrote the total follows the Canary's watch.
    const text = formatStatus({ canary, ...views, total: totalText(canary, hpas), now: io.now() });
    if (text === lastDrawn) return;
    lastDrawn = text;
    io.out(io.tty ? CLEAR_SCREEN + text : `${text}---\n`);
  };

  return new Promise<number>((resolve) => {
    let ticker: NodeJS.Timeout | undefined;
    const finish = (code: number, message?: string) => {
      if (finished) return;
      finished = true;
      if (ticker) clearInterval(ticker);
      io.signal?.removeEventListener('abort', onAbort);
      for (const c of controllers.values()) c.abort();
      if (message) io.err(`${message}\n`);
      resolve(code);
    };
    const onAbort = () => finish(EXIT.ok);
    if (io.signal?.aborted) return finish(EXIT.ok);
    io.signal?.addEventListener('abort', onAbort);

    // Each key's watch has a generation: cancelling or replacing it makes the
    // old one's late events and its end (which would re-open it) no-ops.
    const generations = new Map<string, number>();
    const cancel = (key: string) => {
      generations.set(key, (generations.get(key) ?? 0) + 1);
      controllers.get(key)?.abort();
      controllers.delete(key);
    };
    const open = (
      key: string,
      kind: 'canary' | 'deployment',
      name: string,
      resourceVersion: string | undefined,
      onEvent: (e: WatchEvent) => void,
    ) => {
      if (finished) return;
      const generation = generations.get(key) ?? 0;
      const current = () => !finished && (generations.get(key) ?? 0) === generation;
      void api
        .watchOne(
          kind,
          namespace,
          name,
          resourceVersion,
          (e) => {
            if (current()) onEvent(e);
          },
          (err) => {
            if (!current()) return;
            if (err) return finish(err.exitCode, `error: watch ${kind} ${name}: ${err.message}`);
            // The API server ends watches after a while: start again from now.
            void io.sleep(REWATCH_DELAY_MS, io.signal).then(
              () => {
                if (current()) open(key, kind, name, undefined, onEvent);
              },
              () => undefined,
            );
          },
        )
        .then(
          (controller) => {
            if (current()) controllers.set(key, controller);
            else controller.abort();
          },
          (err: unknown) => finish(EXIT.failed, `error: watch ${kind} ${name}: ${(err as Error).message}`),
        );
    };

    const watchDeployment = (role: 'oldDeployment' | 'newDeployment', name: string | undefined) => {
      if (name === undefined) return;
      open(role, 'deployment', name, undefined, (e) => {
        if (e.type === 'ADDED' || e.type === 'MODIFIED') {
          views[role] = deploymentView(name, e.object as V1Deployment);
        } else if (e.type === 'DELETED') {
          views[role] = { found: false, name, why: 'deleted' };
        } else return;
        draw();
      });
    };

    open('canary', 'canary', canary.metadata.name, canary.metadata.resourceVersion, (e) => {
      if (e.type === 'DELETED') return finish(EXIT.notFound, `canary "${canary.metadata.name}" was deleted`);
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
      const before = deploymentNames(canary);
      canary = e.object as Canary;
      const after = deploymentNames(canary);
      // The service writes the route's weights with a status change: read the
      // route again with each new version of the Canary (a read, not a watch:
      // its CRD may not be installed at all).
      const version = canary;
      void api.readRoute(canary).then((route) => {
        if (version !== canary) return;
        views.route = route;
        draw();
      });
      if (before[0] !== after[0] || before[1] !== after[1]) {
        // The spec now names other Deployments: read and watch those instead.
        cancel('oldDeployment');
        cancel('newDeployment');
        void readDeployments(api, canary).then((d) => {
          Object.assign(views, d);
          draw();
          watchDeployment('oldDeployment', after[0]);
          watchDeployment('newDeployment', after[1]);
        });
      }
      draw();
    });
    watchDeployment('oldDeployment', deploymentNames(canary)[0]);
    watchDeployment('newDeployment', deploymentNames(canary)[1]);
    draw();
    // On a terminal the countdown ticks; in a pipe only changes print.
    if (io.tty) ticker = setInterval(draw, 1000);
  });
}

// -------------------------------------------------------------- commands

export const COMMAND_VALUES = {
  apply: 'apply',
  stop: 'stop',
  rollback: 'rollback',
  complete: 'completion',
  promote: 'promote',
} as const;

export interface CommandOptions {
  /** How long to wait for canary-hooks to forget a command before setting it again. */
  timeoutMs: number;
  pollMs: number;
}

function observedCommand(canary: Canary): string {
  const value = canary.status?.observedCommand;
  return typeof value === 'string' ? value : '';
}

/**
 * Sets the command annotation. A command acts when its value differs from
 * `status.observedCommand`, so issuing the one last acted on takes a change
 * in between: the annotation is removed, the controller is given time to
 * record that (observedCommand goes back to ""), and only then is it set.
 */
export async function setCommand(
  api: CanaryApi,
  io: Io,
  name: string,
  value: string,
  options: CommandOptions,
): Promise<number> {
  const namespace = api.target.namespace;
  const ref = `canary/${name}`;
  let canary = await api.getCanary(namespace, name);
  let annotated = commandAnnotation(canary);

  if (observedCommand(canary) === value) {
    if (annotated !== '') {
      canary = await api.setCommand(namespace, name, null);
      annotated = '';
      io.err(
        `${ref}: command ${value} was already acted on; removed ${COMMAND_ANNOTATION} so it can be given again\n`,
      );
    }
    const deadline = io.now().getTime() + options.timeoutMs;
    while (observedCommand(canary) === value) {
      if (io.now().getTime() >= deadline) {
        throw new CliError(
          `${ref}: canary-hooks did not record the removed command within ${Math.round(options.timeoutMs / 1000)}s ` +
            `(status.observedCommand is still "${value}"); the annotation is left unset. Is the controller running? ` +
            'Run the command again once it is.',
          EXIT.failed,
        );
      }
      try {
        await io.sleep(options.pollMs, io.signal);
      } catch {
        throw new CliError(`${ref}: interrupted; the annotation is left unset`, EXIT.failed);
      }
      canary = await api.getCanary(namespace, name);
    }
  } else if (annotated === value) {
    io.out(`${ref}: command ${value} is already set and not yet acted on; nothing to change\n`);
    return EXIT.ok;
  }
  await api.setCommand(namespace, name, value);
  io.out(`${ref} annotated: ${COMMAND_ANNOTATION}=${value}\n`);
  const note = noEffectNote(canary, value);
  if (note) io.err(`note: ${ref} ${note}\n`);
  return EXIT.ok;
}

/**
 * Promote acts on a pause, or on a running Canary whose next step waits for
 * its cron tick (nextStepTime in the future); the hook still decides whether
 * the step's replicas are available.
 */
function isPromotable(canary: Canary): boolean {
  const status = canary.status;
  if (status?.pause) return true;
  return status?.state === 'running' && typeof status.nextStepTime === 'string';
}

/** Commands the controller records but that move nothing from where the Canary stands (docs/design.md §4). */
export function noEffectNote(canary: Canary, value: string): string | undefined {
  const state = canary.status?.state;
  if (state === 'complete' && (value === 'apply' || value === 'completion')) {
    return `is complete: ${value} changes nothing (rollback goes back to step 0)`;
  }
  if (value === 'stop' && (state === 'stop' || state === 'complete')) {
    return `is not running (state ${state}): stop changes nothing`;
  }
  if (value === 'promote' && !isPromotable(canary)) {
    return 'is not paused and waits for no cron tick: promote changes nothing';
  }
  return undefined;
}

// ------------------------------------------------------------------ plan

function canaryDocuments(text: string, source: string): Canary[] {
  const docs = parseAllDocuments(text);
  const found: Canary[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const problem = doc.errors[0];
    if (problem) {
      const where = problem.linePos?.[0] ? ` (line ${problem.linePos[0].line})` : '';
      throw new CliError(
        `invalid YAML in ${source}${where}: ${problem.message.split('\n')[0]}`,
        EXIT.invalidInput,
      );
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new CliError(
        `${source}: expected a Kubernetes object, got ${Array.isArray(value) ? 'a list' : typeof value}`,
        EXIT.invalidInput,
      );
    }
    const object = value as Record<string, unknown>;
    const items = object.kind === 'List' && Array.isArray(object.items) ? object.items : [object];
    for (const item of items as Record<string, unknown>[]) {
      if (item?.kind === 'Canary') found.push(item as unknown as Canary);
    }
  }
  if (found.length === 0) throw new CliError(`${source}: no object of kind Canary found`, EXIT.invalidInput);
  return found;
}

export function planCommand(io: Io, text: string, source: string, from: string | undefined): number {
  const canaries = canaryDocuments(text, source);
  const blocks: string[] = [];
  for (const canary of canaries) {
    const name = canary.metadata?.name ?? '(unnamed)';
    const parsed = parseSpec(canary.spec as RawCanarySpec);
    // The API server would refuse counts above the total in a manifest being applied.
    const problem = parsed.ok ? countAboveTotal(parsed.spec) : parsed.problem;
    if (!parsed.ok || problem)
      throw new CliError(`canary ${name}: invalid spec: ${problem?.message}`, EXIT.invalidInput);
    const spec = parsed.spec;
    let appliedAt = io.now();
    if (from !== undefined && from !== 'now') {
      const zone = isKnownTimeZone(spec.timeZone) ? spec.timeZone : 'UTC';
      const parsedFrom = parseTimeIn(from, zone);
      if (!parsedFrom) {
        throw new CliError(
          `--from "${from}" is not a time: use RFC 3339 (2027-03-14T00:30:00Z, 2027-03-14T09:00+09:00) ` +
            `or a wall-clock time in the Canary's zone (2027-03-14T00:30)`,
          EXIT.invalidInput,
        );
      }
      appliedAt = parsedFrom;
    }
    blocks.push(formatPlan(name, spec, planRollout(spec, appliedAt), appliedAt));
  }
  io.out(blocks.join('\n'));
  return EXIT.ok;
}
