/**
 * AdmissionReview payloads of realistic shape and size for benchmarks: a small single-container
 * pod (~5 KB), a typical three-container pod with env and managedFields (~12 KB), a large
 * 20-container pod (~300 KB), a Deployment, and an UPDATE carrying object and oldObject.
 */
type Json = Record<string, unknown>;

function container(name: string, envCount: number, envValueLength: number): Json {
  return {
    name,
    image: `registry.example.com/team/${name}:1.24.3@sha256:${'ab'.repeat(32)}`,
    imagePullPolicy: 'IfNotPresent',
    args: ['--port=8080', '--log-level=info', `--name=${name}`],
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env: Array.from({ length: envCount }, (_, i) => ({
      name: `${name.toUpperCase().replace(/-/g, '_')}_SETTING_${i}`,
      value: 'v'.repeat(envValueLength),
    })),
    resources: {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      {
        name: 'kube-api-access-x7k2p',
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
        readOnly: true,
      },
    ],
    livenessProbe: {
      httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
      initialDelaySeconds: 5,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

function managedFields(entries: number): Json[] {
  return Array.from({ length: entries }, (_, i) => ({
    manager: i === 0 ? 'kubectl-client-side-apply' : `controller-${i}`,
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-11-01T10:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"app"}': {
            '.': {},
            'f:image': {},
            'f:env': {},
            'f:ports': {},
            'f:resources': {},
          },
        },
      },
    },
  }));
}

function podObject(containers: Json[], managed: number): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-7d4b9c8f6d-x2x9k',
      generateName: 'web-7d4b9c8f6d-',
      namespace: 'payments',
      labels: {
        app: 'web',
        'pod-template-hash': '7d4b9c8f6d',
        'app.kubernetes.io/part-of': 'checkout',
      },
      annotations: {
        'kubectl.kubernetes.io/restartedAt': '2026-11-01T10:00:00Z',
        'prometheus.io/scrape': 'true',
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web-7d4b9c8f6d',
          uid: '6c1f0f3e-8f5e-4b1a-9d2c-1a2b3c4d5e6f',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: managedFields(managed),
    },
    spec: {
      containers,
      volumes: [
        { name: 'config', configMap: { name: 'web-config', defaultMode: 420 } },
        {
          name: 'kube-api-access-x7k2p',
          projected: {
            defaultMode: 420,
            sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }],
          },
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'web',
      securityContext: {},
      schedulerName: 'default-scheduler',
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
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
  };
}

export function review(
  object: Json,
  kind = { group: '', version: 'v1', kind: 'Pod' },
  oldObject?: Json,
): Json {
  const request: Json = {
    uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
    kind,
    resource: { group: kind.group, version: kind.version, resource: `${kind.kind.toLowerCase()}s` },
    requestKind: kind,
    requestResource: {
      group: kind.group,
      version: kind.version,
      resource: `${kind.kind.toLowerCase()}s`,
    },
    namespace: 'payments',
    operation: oldObject ? 'UPDATE' : 'CREATE',
    userInfo: {
      username: 'system:serviceaccount:kube-system:replicaset-controller',
      uid: 'a1b2',
      groups: ['system:serviceaccounts', 'system:authenticated'],
    },
    object,
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: oldObject ? 'UpdateOptions' : 'CreateOptions' },
  };
  if (oldObject) request.oldObject = oldObject;
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

export function smallPod(): Json {
  return podObject([container('app', 24, 40)], 2);
}

export function typicalPod(): Json {
  return podObject(
    [
      container('app', 30, 40),
      container('envoy-sidecar', 20, 40),
      container('log-shipper', 20, 40),
    ],
    6,
  );
}

export function largePod(): Json {
  return podObject(
    Array.from({ length: 20 }, (_, i) => container(`worker-${i}`, 180, 30)),
    20,
  );
}

export function deployment(): Json {
  const pod = typicalPod();
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'payments',
      labels: { app: 'web' },
      managedFields: managedFields(4),
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: pod.spec },
    },
  };
}

export interface Payload {
  name: string;
  body: Json;
}

export function payloads(): Payload[] {
  const typical = typicalPod();
  const updated = structuredClone(typical);
  ((updated.spec as Json).containers as Json[])[0]!.image = 'registry.example.com/team/app:1.25.0';
  return [
    { name: 'small pod', body: review(smallPod()) },
    { name: 'typical pod', body: review(typical) },
    { name: 'large pod', body: review(largePod()) },
    {
      name: 'deployment',
      body: review(deployment(), { group: 'apps', version: 'v1', kind: 'Deployment' }),
    },
    {
      name: 'pod update',
      body: review(updated, { group: '', version: 'v1', kind: 'Pod' }, typical),
    },
  ];
}
