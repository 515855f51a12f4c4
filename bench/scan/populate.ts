/**
 * Fills a real API server with the benchmark's cluster: namespaces, Deployments, one ReplicaSet
 * each (owned by it) and its pods (owned by the ReplicaSet), created directly, as a
 * controller-manager would, so no kubelet or controller is needed. Requests go out over a few
 * keep-alive connections at once, with the admin's client certificate.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';

export interface ClusterShape {
  namespaces: number;
  deploymentsPerNamespace: number;
  podsPerDeployment: number;
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

type Json = Record<string, unknown>;

export async function adminPoster(kubeconfigPath: string, parallel: number) {
  const config = JSON.parse(await readFile(kubeconfigPath, 'utf8')) as Kubeconfig;
  const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64');
  const server = new URL(config.clusters[0]?.cluster.server ?? '');
  const agent = new Agent({
    keepAlive: true,
    maxSockets: parallel,
    ca: decode(config.clusters[0]?.cluster['certificate-authority-data']),
    cert: decode(config.users[0]?.user['client-certificate-data']),
    key: decode(config.users[0]?.user['client-key-data']),
  });
  const post = (path: string, body: Json): Promise<Json> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        {
          host: server.hostname,
          port: server.port,
          path,
          method: 'POST',
          agent,
          servername: 'localhost',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (data += chunk));
          res.on('end', () =>
            res.statusCode === 201
              ? resolve(JSON.parse(data) as Json)
              : reject(new Error(`POST ${path}: HTTP ${res.statusCode}: ${data.slice(0, 300)}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { post, close: () => agent.destroy() };
}

/** Runs `task` over `items`, at most `parallel` at a time. */
async function pool<T>(items: readonly T[], parallel: number, task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

/** A pod spec as workloads carry them: two containers, probes, env, resources, volumes. */
function podSpec(compliant: boolean): Json {
  const container = (name: string) => ({
    name,
    image: `registry.invalid/${name}:1.0`,
    ports: [{ containerPort: 8080, name: 'http' }],
    env: Array.from({ length: 8 }, (_, i) => ({ name: `SETTING_${i}`, value: `value-${i}` })),
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
    volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
    securityContext: compliant
      ? { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }
      : { capabilities: { add: ['NET_ADMIN'] } },
  });
  return {
    ...(compliant ? { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } : {}),
    containers: [container('app'), container('sidecar')],
    volumes: [{ name: 'config', configMap: { name: 'app-config' } }],
  };
}

const ownerRef = (object: Json) => {
  const metadata = object.metadata as { name: string; uid: string };
  return [
    {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: metadata.name,
      uid: metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
};

/** Creates the cluster; returns the number of objects made. Every other Deployment complies. */
export async function populate(
  kubeconfigPath: string,
  shape: ClusterShape,
  parallel = 16,
): Promise<number> {
  const { post, close } = await adminPoster(kubeconfigPath, parallel);
  let created = 0;
  try {
    const namespaces = Array.from(
      { length: shape.namespaces },
      (_, i) => `bench-${String(i).padStart(2, '0')}`,
    );
    await pool(namespaces, parallel, async (name) => {
      await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      created++;
    });
    const deployments = namespaces.flatMap((ns) =>
      Array.from({ length: shape.deploymentsPerNamespace }, (_, i) => ({
        ns,
        name: `app-${String(i).padStart(3, '0')}`,
        compliant: i % 2 === 0,
      })),
    );
    await pool(deployments, parallel, async ({ ns, name, compliant }) => {
      const labels = { app: name };
      const template = { metadata: { labels }, spec: podSpec(compliant) };
      const deployment = await post(`/apis/apps/v1/namespaces/${ns}/deployments`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: ns },
        spec: { replicas: shape.podsPerDeployment, selector: { matchLabels: labels }, template },
      });
      const rs = await post(`/apis/apps/v1/namespaces/${ns}/replicasets`, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-5d4f8b7c9`,
          namespace: ns,
          labels,
          ownerReferences: ownerRef(deployment),
        },
        spec: { replicas: shape.podsPerDeployment, selector: { matchLabels: labels }, template },
      });
      created += 2;
      for (let p = 0; p < shape.podsPerDeployment; p++) {
        await post(`/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${name}-5d4f8b7c9-${String(p).padStart(5, '0')}`,
            namespace: ns,
            labels,
            ownerReferences: ownerRef(rs),
          },
          spec: podSpec(compliant),
        });
        created++;
      }
    });
  } finally {
    close();
  }
  return created;
}
