/** Loads the install manifests and examples for the tests beside this file. */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readYamlDocuments, repoPath } from '../helpers/crd.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export const MANIFESTS_DIR = repoPath('manifests');

/** Every .yaml/.yml file under manifests/, repository-relative, sorted. */
export function yamlFiles(dir = MANIFESTS_DIR): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => relative(repoPath(''), join(dir, name)))
    .sort();
}

export interface Kustomization {
  resources?: string[];
  [field: string]: unknown;
}

export function readKustomization(dir: string): Kustomization {
  const [doc] = readYamlDocuments(join(dir, 'kustomization.yaml'));
  return doc as Kustomization;
}

/** The objects a kustomization directory installs (its resources, read in order). */
export function kustomizationObjects(dir: string): K8sObject[] {
  return (readKustomization(dir).resources ?? []).flatMap(
    (resource) => readYamlDocuments(join(dir, resource)) as K8sObject[],
  );
}

export const installed = (): K8sObject[] => kustomizationObjects(MANIFESTS_DIR);
export const examples = (): K8sObject[] => kustomizationObjects(join(MANIFESTS_DIR, 'examples'));

/** The one object of that kind and name; throws, listing what there is, when absent. */
export function find<T = K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1) {
    const have = objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ');
    throw new Error(`expected one ${kind}/${name}, found ${found.length} among ${have}`);
  }
  return found[0] as T;
}

/** Does a matchLabels selector select an object with these labels? */
export function selects(matchLabels: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
}
