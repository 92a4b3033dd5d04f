/**
 * Sync requests shaped as Metacontroller v4 sends them from a real cluster:
 * the Canary, its two Deployments and the app's pods, each with the full
 * metadata the API server stores (managedFields for every writer, the
 * last-applied-configuration annotation of a client-side `kubectl apply`,
 * ownerReferences) and the full pod spec and status a kubelet reports.
 *
 * The shapes follow test/fixtures/cluster.ts, enlarged to the sizes objects
 * have in a cluster: a pod here is about 7 KB of JSON, most of it fields the
 * hooks never read.
 */

const NAMESPACE = 'shop';
const APP = 'checkout';
const CANARY_UID = '6f1c9a3e-2b7d-4c1e-9f0a-1d2e3f4a5b6c';
const APP_LABELS = { app: APP, 'app.kubernetes.io/part-of': 'shop', team: 'payments' };
const COMMAND_ANNOTATION = 'canary.k8shuginn.io/command';

/**
 * The fieldsV1 set of a managedFields entry for `value`, as the API server
 * writes it: `f:<field>` per field, `k:{...}` per keyed list item, `.` for the
 * object itself.
 *
 * @param {unknown} value
 * @returns {Record<string, unknown>}
 */
export function fieldsV1(value) {
  if (Array.isArray(value)) {
    /** @type {Record<string, unknown>} */
    const set = {};
    for (const item of value) {
      if (item && typeof item === 'object' && 'name' in item) {
        set[`k:${JSON.stringify({ name: item.name })}`] = { '.': {}, ...fieldsV1(item) };
      } else if (item && typeof item === 'object' && 'type' in item) {
        set[`k:${JSON.stringify({ type: item.type })}`] = { '.': {}, ...fieldsV1(item) };
      } else {
        set[`v:${JSON.stringify(item)}`] = {};
      }
    }
    return set;
  }
  if (value && typeof value === 'object') {
    /** @type {Record<string, unknown>} */
    const set = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      set[`f:${k}`] =
        v && typeof v === 'object' && Object.keys(v).length > 0 ? { '.': {}, ...fieldsV1(v) } : {};
    }
    return set;
  }
  return {};
}

/**
 * @param {string} manager
 * @param {string} apiVersion
 * @param {string} time
 * @param {unknown} fields
 * @param {string} [subresource]
 */
function managed(manager, apiVersion, time, fields, subresource) {
  return {
    manager,
    operation: 'Update',
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsV1(fields),
    ...(subresource ? { subresource } : {}),
  };
}

/** @param {string} version */
function podTemplate(version) {
  return {
    metadata: {
      labels: { ...APP_LABELS, version },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
    },
    spec: {
      serviceAccountName: APP,
      terminationGracePeriodSeconds: 30,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 },
      containers: [
        {
          name: APP,
          image: `registry.example.com/shop/${APP}:${version === 'v1' ? '2.14.3' : '2.15.0'}`,
          imagePullPolicy: 'IfNotPresent',
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9102, protocol: 'TCP' },
          ],
          env: [
            { name: 'APP_ENV', value: 'production' },
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'DB_HOST', value: 'postgres.shop.svc.cluster.local' },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `${APP}-db`, key: 'password' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          ],
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
          readinessProbe: {
            httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' },
            periodSeconds: 5,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          livenessProbe: {
            httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          volumeMounts: [{ name: 'config', mountPath: '/etc/checkout', readOnly: true }],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      initContainers: [
        {
          name: 'init-config',
          image: 'registry.example.com/shop/config-init:1.3.0',
          command: ['/bin/config-init', '--out=/etc/checkout'],
          volumeMounts: [{ name: 'config', mountPath: '/etc/checkout' }],
        },
      ],
      volumes: [{ name: 'config', emptyDir: {} }],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
    },
  };
}

/**
 * @param {string} name
 * @param {string} version
 * @param {number} replicas
 */
function deployment(name, version, replicas) {
  const template = podTemplate(version);
  const spec = {
    replicas,
    selector: { matchLabels: { app: APP, version } },
    template,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
  };
  const applied = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels: { ...APP_LABELS, version } },
    spec: { ...spec, replicas: undefined },
  };
  const status = {
    observedGeneration: 7,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      {
        type: 'Available',
        status: 'True',
        lastUpdateTime: '2026-11-21T08:01:12Z',
        lastTransitionTime: '2026-11-21T08:01:12Z',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: '2026-11-21T08:01:12Z',
        lastTransitionTime: '2026-11-21T07:55:02Z',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${name}-${hashOf(version)}" has successfully progressed.`,
      },
    ],
  };
  const metadata = {
    name,
    namespace: NAMESPACE,
    uid: `0b8e${version}a1-4c2d-4e6f-8a9b-${name.length.toString().padStart(12, '0')}`,
    resourceVersion: '81234567',
    generation: 7,
    creationTimestamp: '2026-11-21T07:55:00Z',
    labels: { ...APP_LABELS, version },
    annotations: {
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n`,
    },
    ownerReferences: [
      {
        apiVersion: 'canary.k8shuginn.io/v1alpha1',
        kind: 'Canary',
        name: APP,
        uid: CANARY_UID,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      ...metadata,
      managedFields: [
        managed('kubectl-client-side-apply', 'apps/v1', '2026-11-21T07:55:00Z', {
          metadata: { annotations: metadata.annotations, labels: metadata.labels },
          spec: { ...spec, replicas: undefined },
        }),
        managed('metacontroller', 'apps/v1', '2026-11-22T04:10:00Z', {
          metadata: { ownerReferences: metadata.ownerReferences },
          spec: { replicas },
        }),
        managed(
          'kube-controller-manager',
          'apps/v1',
          '2026-11-22T04:12:00Z',
          { metadata: { annotations: { 'deployment.kubernetes.io/revision': '3' } }, status },
          'status',
        ),
      ],
    },
    spec,
    status,
  };
}

/** @param {string} version */
function hashOf(version) {
  return version === 'v1' ? '5b9c7d6f8' : '7d4f8c9b5';
}

/**
 * @param {string} deploymentName
 * @param {string} version
 * @param {number} index
 */
function pod(deploymentName, version, index) {
  const hash = hashOf(version);
  const suffix = index.toString(36).padStart(5, 'x');
  const name = `${deploymentName}-${hash}-${suffix}`;
  const template = podTemplate(version);
  const container = template.spec.containers[0];
  const spec = {
    ...template.spec,
    containers: [
      {
        ...container,
        volumeMounts: [
          ...container.volumeMounts,
          {
            name: `kube-api-access-${suffix}`,
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
          },
        ],
      },
    ],
    volumes: [
      ...template.spec.volumes,
      {
        name: `kube-api-access-${suffix}`,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
    ],
    nodeName: `ip-10-0-${index % 16}-${(index * 7) % 250}.eu-west-1.compute.internal`,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
  };
  const started = '2026-11-22T04:12:31Z';
  const status = {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(
      (type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: started }),
    ),
    hostIP: `10.0.${index % 16}.${(index * 7) % 250}`,
    hostIPs: [{ ip: `10.0.${index % 16}.${(index * 7) % 250}` }],
    podIP: `10.1.${index % 200}.${(index * 13) % 250}`,
    podIPs: [{ ip: `10.1.${index % 200}.${(index * 13) % 250}` }],
    startTime: started,
    initContainerStatuses: [
      {
        name: 'init-config',
        state: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: started,
            finishedAt: started,
            containerID: `containerd://${'a'.repeat(56)}${suffix}`,
          },
        },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: 'registry.example.com/shop/config-init:1.3.0',
        imageID: `registry.example.com/shop/config-init@sha256:${'3f'.repeat(32)}`,
        containerID: `containerd://${'a'.repeat(56)}${suffix}`,
        started: false,
      },
    ],
    containerStatuses: [
      {
        name: APP,
        state: { running: { startedAt: started } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: container.image,
        imageID: `${container.image.replace(/:.*$/, '')}@sha256:${'9c'.repeat(32)}`,
        containerID: `containerd://${'b'.repeat(56)}${suffix}`,
        started: true,
      },
    ],
    qosClass: 'Burstable',
  };
  const metadata = {
    name,
    generateName: `${deploymentName}-${hash}-`,
    namespace: NAMESPACE,
    uid: `7e5d${index.toString(16).padStart(4, '0')}-1a2b-4c3d-9e8f-${hash}abc`,
    resourceVersion: String(81200000 + index),
    creationTimestamp: '2026-11-22T04:12:30Z',
    labels: { ...template.metadata.labels, 'pod-template-hash': hash },
    annotations: template.metadata.annotations,
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: `${deploymentName}-${hash}`,
        uid: `5a4b${hash}-0c1d-4e2f-8a3b-4c5d6e7f8091`,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      managedFields: [
        managed('kube-controller-manager', 'v1', '2026-11-22T04:12:30Z', {
          metadata: {
            generateName: metadata.generateName,
            labels: metadata.labels,
            annotations: metadata.annotations,
            ownerReferences: metadata.ownerReferences,
          },
          spec: template.spec,
        }),
        managed('kubelet', 'v1', '2026-11-22T04:12:41Z', { status }, 'status'),
      ],
    },
    spec,
    status,
  };
}

/**
 * A running Canary part-way through its rollout (step 2), the most common
 * and the most expensive state to sync: pods are scanned for crash loops and
 * the schedule is evaluated. The next step is due at 09:00 on a weekday in
 * Seoul, so repeated syncs answer the same.
 *
 * @param {number} podCount pods observed (0, 20, 200); also the Canary's totalReplicas when above 0
 * @param {Date} now the bench's start: the last step was taken a little before it
 * @param {number} [variant] above 0: another Canary (its own name, uid and last step time), as
 *   a cluster with many Canaries sends them
 */
export function syncRequest(podCount, now = new Date(), variant = 0) {
  const total = podCount > 0 ? podCount : 10;
  const step = Math.max(1, Math.floor(total / 5));
  const currentStep = 2;
  const newReplicas = Math.min(total, currentStep * step);
  const oldReplicas = total - newReplicas;
  const lastStepTime = new Date(now.getTime() - 5 * 60_000 - variant * 7_000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  const spec = {
    oldDeployment: `${APP}-v1`,
    newDeployment: `${APP}-v2`,
    totalReplicas: total,
    stepReplicas: step,
    cronSchedule: '0 9 * * 1-5',
    timeZone: 'Asia/Seoul',
    enableRollback: true,
    progressDeadlineSeconds: 900,
    selector: { matchLabels: { app: APP } },
  };
  const annotations = {
    [COMMAND_ANNOTATION]: 'apply',
    'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify({
      apiVersion: 'canary.k8shuginn.io/v1alpha1',
      kind: 'Canary',
      metadata: { name: APP, namespace: NAMESPACE },
      spec,
    })}\n`,
  };
  const condition = (
    /** @type {string} */ type,
    /** @type {string} */ status,
    /** @type {string} */ reason,
    /** @type {string} */ message,
  ) => ({
    type,
    status,
    reason,
    message,
    lastTransitionTime: '2026-11-22T04:00:00Z',
  });
  const status = {
    oldReplicas,
    newReplicas,
    currentStep,
    totalSteps: Math.ceil(total / step),
    state: 'running',
    message: 'Canary is Running',
    observedCommand: 'apply',
    lastStepTime,
    nextStepTime: '2026-11-23T00:00:00Z',
    rollback: null,
    conditions: [
      condition('Valid', 'True', 'Valid', 'Spec and Deployments are valid'),
      condition('CommandAccepted', 'True', 'Accepted', 'Acted on command apply'),
      condition('Progressing', 'True', 'StepScheduled', `Running at step ${currentStep}`),
      condition('RolledBack', 'False', 'NotRolledBack', 'Not rolled back'),
      condition('Complete', 'False', 'InProgress', 'Not every replica runs the new version'),
    ],
    observedGeneration: 4,
  };
  const parent = {
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    kind: 'Canary',
    metadata: {
      name: variant > 0 ? `${APP}-${variant}` : APP,
      namespace: NAMESPACE,
      uid: variant > 0 ? CANARY_UID.replace(/.{6}$/, String(variant).padStart(6, '0')) : CANARY_UID,
      resourceVersion: '81230001',
      generation: 4,
      creationTimestamp: '2026-11-21T08:00:00Z',
      annotations,
      finalizers: ['metacontroller.io/compositecontroller-canary-hooks'],
      managedFields: [
        managed('kubectl-client-side-apply', 'canary.k8shuginn.io/v1alpha1', '2026-11-21T08:00:00Z', {
          metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '' } },
          spec,
        }),
        managed('kubectl-annotate', 'canary.k8shuginn.io/v1alpha1', '2026-11-22T04:00:00Z', {
          metadata: { annotations: { [COMMAND_ANNOTATION]: 'apply' } },
        }),
        managed('metacontroller', 'canary.k8shuginn.io/v1alpha1', '2026-11-21T08:00:01Z', {
          metadata: { finalizers: ['metacontroller.io/compositecontroller-canary-hooks'] },
        }),
        managed('metacontroller', 'canary.k8shuginn.io/v1alpha1', lastStepTime, { status }, 'status'),
      ],
    },
    spec,
    status,
  };
  const oldName = `${APP}-v1`;
  const newName = `${APP}-v2`;
  /** @type {Record<string, unknown>} */
  const pods = {};
  for (let i = 0; i < podCount; i++) {
    const p = i < oldReplicas ? pod(oldName, 'v1', i) : pod(newName, 'v2', i);
    pods[p.metadata.name] = p;
  }
  return {
    controller: {
      apiVersion: 'metacontroller.k8s.io/v1alpha1',
      kind: 'CompositeController',
      metadata: { name: 'canary-hooks', uid: 'c0ffee00-1111-4222-8333-944455556666', generation: 1 },
      spec: {
        generateSelector: false,
        parentResource: { apiVersion: 'canary.k8shuginn.io/v1alpha1', resource: 'canaries' },
        childResources: [
          { apiVersion: 'apps/v1', resource: 'deployments', updateStrategy: { method: 'InPlace' } },
        ],
        resyncPeriodSeconds: 60,
        hooks: {
          sync: { webhook: { url: 'http://canary-hooks.canary-system/sync' } },
          customize: { webhook: { url: 'http://canary-hooks.canary-system/customize' } },
          finalize: { webhook: { url: 'http://canary-hooks.canary-system/finalize' } },
        },
      },
    },
    parent,
    children: {
      'Deployment.apps/v1': {
        [oldName]: deployment(oldName, 'v1', oldReplicas),
        [newName]: deployment(newName, 'v2', newReplicas),
      },
    },
    related: { 'Pod.v1': pods },
    finalizing: false,
  };
}
