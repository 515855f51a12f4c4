// A real, minimal Kubernetes control plane for end-to-end tests: etcd plus
// kube-apiserver (no kubelet or scheduler; kube-controller-manager on request,
// so that Deployments create ReplicaSets and Pods), with RBAC, its own PKI and
// two kubeconfigs (admin and a namespaced "developer").
//
// Library:  const cp = await startControlPlane(); ...; await cp.stop();
// CLI:      node test/e2e/control-plane.ts up [--namespace NAME] [--write-env PATH] [--controller-manager]
//
// Binaries come from the cache filled by scripts/k8s/build.sh (which this
// module runs when they are missing).

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webcrypto } from 'node:crypto';
import { buildScriptEnv, ensureBuilt, runProgram, type RunResult } from '../build-scripts.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'k8s', 'build.sh');

export interface ControlPlaneBinaries {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  /** Only required (and built) with `controllerManager: true`. */
  kubeControllerManager?: string;
}

export interface ControlPlaneOptions {
  /** Namespace created for the "developer" user, who gets the `edit` ClusterRole there. */
  developerNamespace?: string;
  /** Run scripts/k8s/build.sh when binaries are missing (default true). */
  build?: boolean;
  /** Explicit binary paths (default: the cache of scripts/k8s/build.sh). */
  binaries?: Partial<ControlPlaneBinaries>;
  /** How long to wait for etcd and /readyz (default 180 s). */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. ["--v=4"]. */
  extraApiServerArgs?: string[];
  /** Extra kube-controller-manager flags (with `controllerManager: true`). */
  extraControllerManagerArgs?: string[];
  /** Keep the temp dir (logs, certs, kubeconfigs) after stop(). */
  keepDir?: boolean;
  /** Progress messages (default: silent). */
  log?: (message: string) => void;
  /**
   * Also run kube-controller-manager (default false): Deployments, Jobs and the rest then
   * create their ReplicaSets and Pods, owner references and garbage collection are real, and
   * every namespace gets its "default" ServiceAccount. Pods stay Pending (no kubelet).
   */
  controllerManager?: boolean;
}

export type KubectlResult = RunResult;

export interface KubectlOptions {
  /** Which kubeconfig to use (default "admin"). */
  user?: 'admin' | 'developer';
  /** Data written to kubectl's stdin (for `-f -`). */
  input?: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Kubeconfig for user "kubernetes-admin" in group system:masters. */
  adminKubeconfig: string;
  /** Kubeconfig for user "developer" (edit rights in developerNamespace only). */
  developerKubeconfig: string;
  developerNamespace: string;
  /** PEM of the cluster CA (signs serving and client certs). */
  caCertPem: string;
  caCertPath: string;
  /** Temp dir holding certs, kubeconfigs, etcd data and logs. */
  dir: string;
  binaries: ControlPlaneBinaries;
  /** Run the built kubectl; never throws on non-zero exit. */
  kubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** Stops kube-apiserver and etcd and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Binaries

async function buildScriptPaths(): Promise<ControlPlaneBinaries> {
  const env = await buildScriptEnv(BUILD_SCRIPT);
  const kubeApiserver = env.get('KUBE_APISERVER');
  const kubectl = env.get('KUBECTL');
  const etcd = env.get('ETCD');
  const kubeControllerManager = env.get('KUBE_CONTROLLER_MANAGER');
  if (!kubeApiserver || !kubectl || !etcd)
    throw new Error(`unexpected output of ${BUILD_SCRIPT} --print-env`);
  return {
    kubeApiserver,
    kubectl,
    etcd,
    ...(kubeControllerManager ? { kubeControllerManager } : {}),
  };
}

/** Paths of kube-apiserver, kubectl and etcd (and kube-controller-manager when asked); builds them if missing and allowed. */
export async function resolveBinaries(
  options: Pick<ControlPlaneOptions, 'build' | 'binaries' | 'log' | 'controllerManager'> = {},
): Promise<ControlPlaneBinaries> {
  const defaults = await buildScriptPaths();
  const bins: ControlPlaneBinaries = { ...defaults, ...options.binaries };
  const required = [bins.kubeApiserver, bins.kubectl, bins.etcd];
  if (options.controllerManager) {
    if (!bins.kubeControllerManager)
      throw new Error(`${BUILD_SCRIPT} --print-env names no KUBE_CONTROLLER_MANAGER`);
    required.push(bins.kubeControllerManager);
  }
  await ensureBuilt(BUILD_SCRIPT, required, {
    ...(options.build === false ? { build: false } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return bins;
}

// ---------------------------------------------------------------------------
// PKI (@peculiar/x509 + WebCrypto)

type X509Module = typeof import('@peculiar/x509');
let x509Promise: Promise<X509Module> | undefined;

/**
 * @peculiar/x509 depends on tsyringe, which refuses to load without a
 * Reflect metadata polyfill. If none is installed, install a minimal one
 * (only the three functions tsyringe calls) before importing it.
 */
function loadX509(): Promise<X509Module> {
  x509Promise ??= (async () => {
    const reflect = Reflect as unknown as Record<string, unknown>;
    if (typeof reflect['getMetadata'] !== 'function') {
      const store = new WeakMap<object, Map<unknown, unknown>>();
      const own = (target: object, create: boolean): Map<unknown, unknown> | undefined => {
        let map = store.get(target);
        if (!map && create) {
          map = new Map();
          store.set(target, map);
        }
        return map;
      };
      reflect['defineMetadata'] = (key: unknown, value: unknown, target: object): void => {
        own(target, true)?.set(key, value);
      };
      reflect['getOwnMetadata'] = (key: unknown, target: object): unknown =>
        own(target, false)?.get(key);
      reflect['getMetadata'] = (key: unknown, target: object): unknown => {
        for (
          let t: object | null = target;
          t !== null;
          t = Object.getPrototypeOf(t) as object | null
        ) {
          const map = own(t, false);
          if (map?.has(key)) return map.get(key);
        }
        return undefined;
      };
    }
    const mod = await import('@peculiar/x509');
    mod.cryptoProvider.set(webcrypto as unknown as Parameters<typeof mod.cryptoProvider.set>[0]);
    return mod;
  })();
  return x509Promise;
}

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

interface KeyPairPem {
  keys: webcrypto.CryptoKeyPair;
  privateKeyPem: string;
  publicKeyPem: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

async function newKeyPair(): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(EC_ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  return {
    keys,
    privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    publicKeyPem: pem('PUBLIC KEY', await webcrypto.subtle.exportKey('spki', keys.publicKey)),
  };
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

interface IssuedCert {
  certPem: string;
  keyPem: string;
}

interface Pki {
  ca: IssuedCert;
  serving: IssuedCert;
  admin: IssuedCert;
  developer: IssuedCert;
  controllerManager: IssuedCert;
  serviceAccount: KeyPairPem;
}

async function createPki(): Promise<Pki> {
  const x509 = await loadX509();
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000);

  const caKeys = await newKeyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=runtime-guard-e2e-ca',
    notBefore,
    notAfter,
    signingAlgorithm: EC_ALG,
    keys: caKeys.keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.keys.publicKey),
    ],
  });

  const issue = async (
    subject: string,
    usage: 'server' | 'client',
    sans: { type: 'ip' | 'dns'; value: string }[] = [],
  ): Promise<IssuedCert> => {
    const leaf = await newKeyPair();
    const extensions: InstanceType<X509Module['Extension']>[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        [usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.keys.publicKey),
    ];
    if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: subject,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: EC_ALG,
      publicKey: leaf.keys.publicKey,
      signingKey: caKeys.keys.privateKey,
      extensions,
    });
    return { certPem: cert.toString('pem') + '\n', keyPem: leaf.privateKeyPem };
  };

  const serving = await issue('CN=kube-apiserver', 'server', [
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '10.0.0.1' },
    { type: 'dns', value: 'localhost' },
    { type: 'dns', value: 'kubernetes' },
    { type: 'dns', value: 'kubernetes.default' },
    { type: 'dns', value: 'kubernetes.default.svc' },
    { type: 'dns', value: 'kubernetes.default.svc.cluster.local' },
  ]);
  const admin = await issue('CN=kubernetes-admin, O=system:masters', 'client');
  const developer = await issue('CN=developer, O=runtime-guard:developers', 'client');
  // The identity the bootstrap RBAC policy grants kube-controller-manager.
  const controllerManager = await issue('CN=system:kube-controller-manager', 'client');
  const serviceAccount = await newKeyPair();
  return {
    ca: { certPem: caCert.toString('pem') + '\n', keyPem: caKeys.privateKeyPem },
    serving,
    admin,
    developer,
    controllerManager,
    serviceAccount,
  };
}

function kubeconfig(
  server: string,
  caPem: string,
  user: string,
  client: IssuedCert,
  namespace?: string,
): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const context = {
    cluster: 'runtime-guard-e2e',
    user,
    ...(namespace ? { namespace } : {}),
  };
  // JSON is valid YAML; kubectl accepts it as a kubeconfig.
  return (
    JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'runtime-guard-e2e',
            cluster: { server, 'certificate-authority-data': b64(caPem) },
          },
        ],
        users: [
          {
            name: user,
            user: {
              'client-certificate-data': b64(client.certPem),
              'client-key-data': b64(client.keyPem),
            },
          },
        ],
        contexts: [{ name: user, context }],
        'current-context': user,
      },
      null,
      2,
    ) + '\n'
  );
}

// ---------------------------------------------------------------------------
// Processes

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() =>
        port > 0 ? resolvePromise(port) : reject(new Error('could not allocate a port')),
      );
    });
  });
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Every child we started, so a process 'exit' handler can kill leftovers. */
const liveChildren = new Set<ChildProcess>();
/** Temp dirs of control planes not yet stopped (removed by the same handler). */
const liveDirs = new Set<string>();
let exitHandlerInstalled = false;

function killAllChildren(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // best effort
    }
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', killAllChildren);
  // A fatal signal skips 'exit' handlers. Where nobody else handles the
  // signal (e.g. inside a test file), kill our children and re-raise it so
  // the process still dies with the default behaviour.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(sig) > 0) continue;
    const handler = (): void => {
      killAllChildren();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

interface Managed {
  name: string;
  child: ChildProcess;
  logPath: string;
  exited: Promise<void>;
  exitInfo: () => string | undefined;
}

function startProcess(
  name: string,
  bin: string,
  args: readonly string[],
  logPath: string,
): Managed {
  installExitHandler();
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let info: string | undefined;
  const exited = new Promise<void>((resolvePromise) => {
    child.on('error', (err) => {
      info = `failed to start: ${err.message}`;
      liveChildren.delete(child);
      log.end();
      resolvePromise();
    });
    child.on('exit', (code, signal) => {
      info = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
      liveChildren.delete(child);
      // Let piped output drain before closing the log.
      setImmediate(() => log.end());
      resolvePromise();
    });
  });
  return { name, child, logPath, exited, exitInfo: () => info };
}

async function stopProcess(proc: Managed, graceMs = 10_000): Promise<void> {
  if (
    proc.exitInfo() !== undefined ||
    proc.child.exitCode !== null ||
    proc.child.signalCode !== null
  ) {
    await proc.exited;
    return;
  }
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

async function tail(path: string, lines = 40): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// HTTP helpers

interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
}

function apiClient(server: string, ca: string, client: IssuedCert): ApiClient {
  const url = new URL(server);
  return {
    request(method, path, body) {
      return new Promise((resolvePromise, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            ca,
            cert: client.certPem,
            key: client.keyPem,
            servername: 'localhost',
            headers: payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {},
            timeout: 10_000,
          },
          (res) => {
            let data = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (data += chunk));
            res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: data }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
  };
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { timeout: 5_000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(
  what: string,
  deadline: number,
  procs: readonly Managed[],
  probe: () => Promise<boolean>,
): Promise<void> {
  let lastError = '';
  for (;;) {
    for (const p of procs) {
      const info = p.exitInfo();
      if (info !== undefined)
        throw new Error(
          `${p.name} ${info} while waiting for ${what}; log tail:\n${await tail(p.logPath)}`,
        );
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const logs = await Promise.all(
        procs.map(async (p) => `--- ${p.name} (${p.logPath}):\n${await tail(p.logPath)}`),
      );
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n${logs.join('\n')}`,
      );
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------
// RBAC

interface ClusterRole {
  metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string };
  aggregationRule?: { clusterRoleSelectors?: { matchLabels?: Record<string, string> }[] };
  rules?: unknown[];
  [key: string]: unknown;
}

/**
 * The bootstrap `admin`/`edit`/`view` ClusterRoles are aggregated: their rules
 * are filled in by kube-controller-manager's clusterrole-aggregation
 * controller, which does not run here. Do the same once, to a fixed point.
 */
async function aggregateClusterRoles(api: ApiClient): Promise<void> {
  const res = await api.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles');
  if (res.status !== 200) throw new Error(`list clusterroles: HTTP ${res.status}: ${res.body}`);
  const roles = (JSON.parse(res.body) as { items: ClusterRole[] }).items;
  const matches = (role: ClusterRole, selector: Record<string, string>): boolean =>
    Object.entries(selector).every(([k, v]) => role.metadata.labels?.[k] === v);
  const changed = new Set<ClusterRole>();
  for (let round = 0; round < 10; round++) {
    let any = false;
    for (const role of roles) {
      const selectors = role.aggregationRule?.clusterRoleSelectors;
      if (!selectors) continue;
      const seen = new Set<string>();
      const rules: unknown[] = [];
      for (const sel of selectors) {
        for (const other of roles) {
          if (other === role || !matches(other, sel.matchLabels ?? {})) continue;
          for (const rule of other.rules ?? []) {
            const key = JSON.stringify(rule);
            if (!seen.has(key)) {
              seen.add(key);
              rules.push(rule);
            }
          }
        }
      }
      if (JSON.stringify(rules) !== JSON.stringify(role.rules ?? [])) {
        role.rules = rules;
        changed.add(role);
        any = true;
      }
    }
    if (!any) break;
  }
  for (const role of changed) {
    const put = await api.request(
      'PUT',
      `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role.metadata.name}`,
      role,
    );
    if (put.status !== 200)
      throw new Error(`update clusterrole ${role.metadata.name}: HTTP ${put.status}: ${put.body}`);
  }
}

async function createOrFail(api: ApiClient, path: string, body: unknown): Promise<void> {
  const res = await api.request('POST', path, body);
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`POST ${path}: HTTP ${res.status}: ${res.body}`);
}

async function setUpDeveloper(api: ApiClient, namespace: string): Promise<void> {
  await aggregateClusterRoles(api);
  await createOrFail(api, '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  await createOrFail(
    api,
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'developer-edit', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'developer' }],
    },
  );
}

// ---------------------------------------------------------------------------
// Control plane

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? ((): void => {});
  const developerNamespace = options.developerNamespace ?? 'dev';
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const binaries = await resolveBinaries(options);

  installExitHandler();
  const dir = await mkdtemp(join(tmpdir(), 'runtime-guard-cp-'));
  if (!options.keepDir) liveDirs.add(dir);
  const procs: Managed[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // API server first (it holds etcd connections), then etcd.
      for (const p of [...procs].reverse()) await stopProcess(p);
      if (!options.keepDir) await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    })();
    return stopped;
  };

  try {
    const [etcdClientPort, etcdPeerPort, apiPort] = (await distinctFreePorts(3)) as [
      number,
      number,
      number,
    ];
    const server = `https://127.0.0.1:${apiPort}`;
    const path = (name: string): string => join(dir, name);

    log(`generating certificates in ${dir}`);
    const pki = await createPki();
    const files: Record<string, string> = {
      'ca.crt': pki.ca.certPem,
      'ca.key': pki.ca.keyPem,
      'apiserver.crt': pki.serving.certPem,
      'apiserver.key': pki.serving.keyPem,
      'sa.key': pki.serviceAccount.privateKeyPem,
      'sa.pub': pki.serviceAccount.publicKeyPem,
      'admin.kubeconfig': kubeconfig(server, pki.ca.certPem, 'kubernetes-admin', pki.admin),
      'developer.kubeconfig': kubeconfig(
        server,
        pki.ca.certPem,
        'developer',
        pki.developer,
        developerNamespace,
      ),
      'controller-manager.kubeconfig': kubeconfig(
        server,
        pki.ca.certPem,
        'system:kube-controller-manager',
        pki.controllerManager,
      ),
    };
    for (const [name, content] of Object.entries(files)) {
      await writeFile(path(name), content, {
        mode: name.endsWith('.key') || name.endsWith('.kubeconfig') ? 0o600 : 0o644,
      });
    }

    const deadline = Date.now() + readyTimeoutMs;
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    log(`starting etcd on ${etcdUrl}`);
    const etcd = startProcess(
      'etcd',
      binaries.etcd,
      [
        '--name=e2e',
        `--data-dir=${path('etcd-data')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=e2e=${peerUrl}`,
        '--initial-cluster-state=new',
        '--unsafe-no-fsync', // throwaway data; much faster on slow disks
        '--log-level=warn',
      ],
      path('etcd.log'),
    );
    procs.push(etcd);
    await waitFor('etcd /health', deadline, [etcd], async () => {
      const res = await httpGet(`${etcdUrl}/health`);
      return res.status === 200 && res.body.includes('"true"');
    });

    log(`starting kube-apiserver on ${server}`);
    const apiserver = startProcess(
      'kube-apiserver',
      binaries.kubeApiserver,
      [
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        // A loopback advertise address is rejected by the endpoint reconciler;
        // nothing in-cluster needs the "kubernetes" Service endpoints here.
        '--endpoint-reconciler-type=none',
        `--secure-port=${apiPort}`,
        `--etcd-servers=${etcdUrl}`,
        `--tls-cert-file=${path('apiserver.crt')}`,
        `--tls-private-key-file=${path('apiserver.key')}`,
        `--client-ca-file=${path('ca.crt')}`,
        `--service-account-key-file=${path('sa.pub')}`,
        `--service-account-signing-key-file=${path('sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=Node,RBAC',
        // No controller-manager: the ServiceAccount admission plugin would
        // reject pods until a "default" ServiceAccount exists in the namespace.
        '--disable-admission-plugins=ServiceAccount',
        '--enable-admission-plugins=NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
        // Let privileged pods through the API server so the webhook decides.
        '--allow-privileged=true',
        '--profiling=false',
        `--cert-dir=${path('apiserver-certs')}`,
        ...(options.extraApiServerArgs ?? []),
      ],
      path('kube-apiserver.log'),
    );
    procs.push(apiserver);

    const admin = apiClient(server, pki.ca.certPem, pki.admin);
    await waitFor('kube-apiserver /readyz', deadline, [etcd, apiserver], async () => {
      const res = await admin.request('GET', '/readyz');
      return res.status === 200;
    });

    log(`granting user "developer" ClusterRole edit in namespace ${developerNamespace}`);
    await setUpDeveloper(admin, developerNamespace);

    if (options.controllerManager) {
      log('starting kube-controller-manager');
      const controllerManager = startProcess(
        'kube-controller-manager',
        binaries.kubeControllerManager as string,
        [
          `--kubeconfig=${path('controller-manager.kubeconfig')}`,
          // Each controller under its own service account, with the bootstrap roles: the
          // permissions of a real cluster, not system:masters.
          '--use-service-account-credentials=true',
          `--root-ca-file=${path('ca.crt')}`,
          '--leader-elect=false',
          // Nothing scrapes or probes it here; its readiness is the work it does (below).
          '--secure-port=0',
          '--controllers=*',
          '--profiling=false',
          ...(options.extraControllerManagerArgs ?? []),
        ],
        path('kube-controller-manager.log'),
      );
      procs.push(controllerManager);
      // The serviceaccount controller's first act: every namespace gets "default".
      await waitFor(
        'kube-controller-manager (ServiceAccount default/default)',
        deadline,
        [etcd, apiserver, controllerManager],
        async () => {
          const res = await admin.request(
            'GET',
            `/api/v1/namespaces/${developerNamespace}/serviceaccounts/default`,
          );
          return res.status === 200;
        },
      );
    }

    const adminKubeconfig = path('admin.kubeconfig');
    const developerKubeconfig = path('developer.kubeconfig');
    log(`control plane ready at ${server}`);
    return {
      server,
      adminKubeconfig,
      developerKubeconfig,
      developerNamespace,
      caCertPem: pki.ca.certPem,
      caCertPath: path('ca.crt'),
      dir,
      binaries,
      kubectl(args, kubectlOptions = {}) {
        const kc = kubectlOptions.user === 'developer' ? developerKubeconfig : adminKubeconfig;
        return runProgram(binaries.kubectl, [`--kubeconfig=${kc}`, ...args], {
          ...(kubectlOptions.input !== undefined ? { input: kubectlOptions.input } : {}),
        });
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------
// CLI

async function cli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'up') {
    process.stderr.write(
      'usage: node test/e2e/control-plane.ts up [--namespace NAME] [--write-env PATH] [--controller-manager]\n' +
        '  Starts etcd + kube-apiserver (+ kube-controller-manager), prints KUBECONFIG, runs until SIGINT/SIGTERM.\n',
    );
    return command === 'help' || command === '--help' || command === '-h' ? 0 : 2;
  }
  let namespace: string | undefined;
  let envFile: string | undefined;
  let controllerManager = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--namespace') namespace = rest[++i];
    else if (arg === '--write-env') envFile = rest[++i];
    else if (arg === '--controller-manager') controllerManager = true;
    else {
      process.stderr.write(`unknown argument: ${String(arg)}\n`);
      return 2;
    }
  }

  // Tear down on signals, also if they arrive during startup.
  let signalled: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = sig;
    process.stderr.write(`\n${sig} received, stopping control plane...\n`);
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const cp = await startControlPlane({
    ...(namespace ? { developerNamespace: namespace } : {}),
    controllerManager,
    log: (m) => process.stderr.write(`[control-plane] ${m}\n`),
  });
  if (!signalled) {
    const lines = [
      `export KUBECONFIG=${cp.adminKubeconfig}`,
      `export RUNTIME_GUARD_KUBECTL=${cp.binaries.kubectl}`,
      `export RUNTIME_GUARD_DEV_KUBECONFIG=${cp.developerKubeconfig}`,
      `export RUNTIME_GUARD_DEV_NAMESPACE=${cp.developerNamespace}`,
      `export RUNTIME_GUARD_APISERVER=${cp.server}`,
    ];
    if (envFile) await writeFile(envFile, lines.join('\n') + '\n');
    process.stdout.write(
      `KUBECONFIG=${cp.adminKubeconfig}\n` +
        `${lines.join('\n')}\n` +
        `# kubectl (use this one, not a system kubectl): "$RUNTIME_GUARD_KUBECTL" get ns\n` +
        `# developer: "$RUNTIME_GUARD_KUBECTL" --kubeconfig "$RUNTIME_GUARD_DEV_KUBECONFIG" -n ${cp.developerNamespace} get pods\n` +
        `# Press Ctrl-C to stop.\n`,
    );
    await new Promise<void>((r) => {
      wake = r;
    });
  }
  await cp.stop();
  if (envFile) await rm(envFile, { force: true });
  process.stderr.write('control plane stopped\n');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
