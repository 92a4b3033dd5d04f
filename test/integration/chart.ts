/**
 * Helm and the chart, for the chart's integration tests: run.sh builds helm
 * (helm-binary.sh) and installs promtool (test/lib/ensure-prometheus.sh) and
 * sets HELM and PROMTOOL.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO, type RunResult } from './helpers.js';

export const CHART = join(REPO, 'charts', 'canary-hooks');
export const HELM = process.env.HELM ?? 'helm';
export const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
};

/** Runs a command; never throws on a non-zero exit, so a test can read a refusal. */
export function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export async function runOk(command: string, args: string[]): Promise<string> {
  const r = await run(command, args);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export const helm = (args: string[]) => run(HELM, args);
export const helmOk = (args: string[]) => runOk(HELM, args);

/** The chart rendered as `helm install canary-hooks -n canary-system` would, with --set pairs. */
export function template(set: string[] = []): Promise<RunResult> {
  return helm([
    'template',
    'canary-hooks',
    CHART,
    '--namespace',
    'canary-system',
    ...set.flatMap((s) => ['--set', s]),
  ]);
}

/** Every object of a multi-document YAML stream, empty documents left out. */
export function objectsOf(stream: string): K8sObject[] {
  return parseAllDocuments(stream)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

export const keyOf = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
