/**
 * Prints manifests/compositecontroller.yaml with its hook URLs pointed at the
 * service run.sh started on loopback (`http://127.0.0.1:<port>`), keeping each
 * path, so the cluster runs the very CompositeController users install, not a
 * copy that could drift from it.
 *
 *   node --import=<tap's TS loader> compositecontroller.ts http://127.0.0.1:PORT | kubectl apply -f -
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HOOKS = ['sync', 'customize', 'finalize'] as const;

export function pointHooksAt(manifest: string, base: string): string {
  const origin = new URL(base);
  const doc = parseDocument(manifest);
  if (doc.errors.length > 0) throw new Error(`compositecontroller.yaml: ${doc.errors[0]?.message}`);
  if (doc.getIn(['kind']) !== 'CompositeController') {
    throw new Error(
      `compositecontroller.yaml holds a ${String(doc.getIn(['kind']))}, not a CompositeController`,
    );
  }
  for (const hook of HOOKS) {
    const path = ['spec', 'hooks', hook, 'webhook', 'url'];
    const url = doc.getIn(path);
    if (typeof url !== 'string')
      throw new Error(`compositecontroller.yaml has no spec.hooks.${hook}.webhook.url`);
    const rewritten = new URL(new URL(url).pathname, origin);
    doc.setIn(path, rewritten.toString());
  }
  return doc.toString();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const base = process.argv[2];
  if (!base) {
    console.error('usage: compositecontroller.ts http://127.0.0.1:PORT');
    process.exit(1);
  }
  const manifest = readFileSync(join(REPO, 'manifests', 'compositecontroller.yaml'), 'utf8');
  process.stdout.write(pointHooksAt(manifest, base));
}
