import { existsSync } from 'node:fs';
import t from 'tap';
import {
  canaryCrd,
  compileStructuralSchema,
  readYamlDocuments,
  repoPath,
  type CrdDocument,
} from '../helpers/crd.js';
import { HOOK_PATHS } from '../../server/config.js';
import { buildApp } from '../../server/app.js';
import { find, installed, type K8sObject } from './manifests.js';

// The real Metacontroller v4.17.2 CRDs live in shared/ beside the repository
// (as in CI's checkout); they are third-party data, not copied in.
const METACONTROLLER_CRDS = repoPath('../shared/metacontroller/metacontroller-crds-v1.yaml');

interface Webhook {
  url?: string;
  timeout?: string;
}
interface CompositeController extends K8sObject {
  spec: {
    generateSelector?: boolean;
    resyncPeriodSeconds?: number;
    parentResource: { apiVersion: string; resource: string };
    childResources: { apiVersion: string; resource: string; updateStrategy?: { method?: string } }[];
    hooks: Record<string, { version?: string; webhook?: Webhook }>;
  };
}

const objects = installed();
const controller = find<CompositeController>(objects, 'CompositeController', 'canary-hooks');
const service = find<K8sObject & { spec: { ports: { port: number }[] } }>(objects, 'Service', 'canary-hooks');

t.test(
  'the CompositeController is valid against the Metacontroller v4.17.2 CRD',
  { skip: !existsSync(METACONTROLLER_CRDS) && `${METACONTROLLER_CRDS} is not beside the repository` },
  async (t) => {
    const crd = (readYamlDocuments(METACONTROLLER_CRDS) as CrdDocument[]).find(
      (doc) => doc.metadata?.name === 'compositecontrollers.metacontroller.k8s.io',
    );
    t.ok(crd, 'the CRD file defines CompositeController');
    const version = crd!.spec.versions.find((v) => v.name === controller.apiVersion.split('/')[1]);
    t.ok(version?.served, `${controller.apiVersion} is served`);
    t.equal(`${crd!.spec.group}/${version!.name}`, controller.apiVersion);
    // Strict: a misspelt field (say `generateSelectors`) would be pruned by the
    // API server and silently change behaviour.
    const validate = compileStructuralSchema(version!.schema.openAPIV3Schema);
    t.same(validate(controller), []);
    const typo = structuredClone(controller) as unknown as { spec: Record<string, unknown> };
    typo.spec.generateSelectors = false;
    t.match(validate(typo), ['spec: unknown field "generateSelectors"'], 'the check would catch a typo');
    const badMethod = structuredClone(controller);
    badMethod.spec.childResources[0]!.updateStrategy = { method: 'InPlaceUpdate' };
    t.match(validate(badMethod).join('\n'), /updateStrategy\.method: must be one of/);
  },
);

t.test('it manages Canaries and their Deployments as the SPEC says', async (t) => {
  const crd = canaryCrd();
  t.same(controller.spec.parentResource, {
    apiVersion: `${crd.spec.group}/${crd.spec.versions[0]!.name}`,
    resource: crd.spec.names.plural,
  });
  t.same(controller.spec.childResources, [
    { apiVersion: 'apps/v1', resource: 'deployments', updateStrategy: { method: 'InPlace' } },
  ]);
  t.equal(controller.spec.generateSelector, false, 'the Canary brings its own spec.selector');
  t.ok(
    (controller.spec.resyncPeriodSeconds ?? 0) >= 10 && (controller.spec.resyncPeriodSeconds ?? 0) <= 120,
    'a modest resync period',
  );
});

t.test('each hook URL reaches the Service and a path the server serves', async (t) => {
  t.same(
    Object.keys(controller.spec.hooks).sort(),
    Object.keys(HOOK_PATHS).sort(),
    'sync, customize, finalize',
  );
  const port = service.spec.ports[0]!.port;
  const host = `${service.metadata.name}.${service.metadata.namespace}`;
  for (const [hook, path] of Object.entries(HOOK_PATHS)) {
    const config = controller.spec.hooks[hook];
    t.equal(config?.version, 'v1', `${hook}: hooks version v1, the wire format the server speaks`);
    const url = new URL(config?.webhook?.url ?? '');
    t.equal(url.protocol, 'http:', hook);
    t.equal(url.hostname, host, `${hook} goes to the Service`);
    t.equal(Number(url.port || 80), port, `${hook} uses the Service port`);
    t.equal(url.pathname, path, `${hook} path is HOOK_PATHS.${hook}`);
  }
});

t.test('the real app registers each hook path as a POST route', async (t) => {
  const app = buildApp({
    kube: { releaseDeployment: async () => Promise.reject(new Error('not in this test')) },
  });
  t.teardown(() => app.close());
  await app.ready();
  for (const hook of Object.keys(controller.spec.hooks)) {
    const url = new URL(controller.spec.hooks[hook]!.webhook!.url!).pathname;
    t.ok(app.hasRoute({ method: 'POST', url }), `POST ${url}`);
  }
  t.notOk(app.hasRoute({ method: 'POST', url: '/nope' }), 'hasRoute does say no');
});
