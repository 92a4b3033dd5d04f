/**
 * Which cluster, user and namespace the plugin talks to, chosen as kubectl
 * chooses them: `--kubeconfig`, else every file in $KUBECONFIG (the first to
 * define a name wins), else ~/.kube/config, else the pod's service account;
 * `--context` else the current context; `-n` else the context's namespace,
 * else `default`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError, EXIT } from './errors.js';

export interface TargetOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  env: NodeJS.ProcessEnv;
}

export interface Target {
  config: KubeConfig;
  context: string;
  namespace: string;
  server: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function loadFile(path: string, from: string): KubeConfig {
  if (!existsSync(path)) throw new CliError(`kubeconfig ${path} (${from}) does not exist`, EXIT.unreachable);
  const config = new KubeConfig();
  try {
    config.loadFromFile(path);
  } catch (err) {
    throw new CliError(`kubeconfig ${path} cannot be read: ${(err as Error).message}`, EXIT.invalidInput);
  }
  return config;
}

/** kubectl's merge: the first file to define a cluster, user, context or current-context wins. */
function merge(configs: readonly KubeConfig[]): KubeConfig {
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: '' });
  for (const c of configs) {
    for (const cluster of c.clusters) {
      if (!merged.clusters.some((x) => x.name === cluster.name)) merged.clusters.push(cluster);
    }
    for (const user of c.users) if (!merged.users.some((x) => x.name === user.name)) merged.users.push(user);
    for (const ctx of c.contexts) {
      if (!merged.contexts.some((x) => x.name === ctx.name)) merged.contexts.push(ctx);
    }
    if (!merged.currentContext && c.currentContext) merged.currentContext = c.currentContext;
  }
  return merged;
}

function loadConfig(options: TargetOptions): KubeConfig {
  if (options.kubeconfig) return loadFile(options.kubeconfig, '--kubeconfig');
  const fromEnv = (options.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 0) {
    const present = fromEnv.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new CliError(
        `no kubeconfig: none of the files in $KUBECONFIG exists (${fromEnv.join(delimiter)})`,
        EXIT.unreachable,
      );
    }
    return merge(present.map((f) => loadFile(f, '$KUBECONFIG')));
  }
  const home = options.env.HOME ?? homedir();
  const standard = join(home, '.kube', 'config');
  if (existsSync(standard)) return loadFile(standard, '~/.kube/config');
  if (options.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    const config = new KubeConfig();
    config.loadFromCluster();
    return config;
  }
  throw new CliError(
    'no kubeconfig: pass --kubeconfig, set $KUBECONFIG, or create ~/.kube/config (as for kubectl)',
    EXIT.unreachable,
  );
}

export function resolveTarget(options: TargetOptions): Target {
  const config = loadConfig(options);
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      throw new CliError(`context "${options.context}" does not exist in the kubeconfig`, EXIT.usage);
    }
    config.setCurrentContext(options.context);
  }
  const contextName = config.getCurrentContext();
  const context = contextName ? config.getContextObject(contextName) : null;
  if (!context) {
    throw new CliError(
      contextName
        ? `current context "${contextName}" does not exist in the kubeconfig`
        : 'the kubeconfig has no current context: pass --context',
      EXIT.usage,
    );
  }
  const cluster = config.getCluster(context.cluster);
  if (!cluster) {
    throw new CliError(
      `context "${context.name}" names cluster "${context.cluster}", which the kubeconfig lacks`,
      EXIT.invalidInput,
    );
  }
  return {
    config,
    context: context.name,
    namespace: options.namespace || context.namespace || 'default',
    server: cluster.server,
  };
}

/** Reads `-f` input: a path, or `-` for standard input. */
export function readInput(path: string, stdin: () => string): string {
  if (path === '-') return stdin();
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      EXIT.invalidInput,
    );
  }
}
