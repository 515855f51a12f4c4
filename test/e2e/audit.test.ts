// `runtime-guard audit` against a real control plane: etcd, kube-apiserver and
// kube-controller-manager (Deployments and CronJobs make their ReplicaSets, Jobs
// and pods with real owner references, and the garbage collector deletes what
// an owner leaves; no kubelet, so pods stay Pending). The report CRDs are the
// chart's (helm template, audit.installCRDs), the workloads are created with no
// webhook at all, and two audit replicas run as processes of the CLI, sharing
// one Lease. What is asserted is what a platform team sees with kubectl: the
// reports, their scope and owner, their results as they change, the Lease, and
// each replica's /metrics.
//
// RUNTIME_GUARD_E2E=0 skips it (it needs scripts/k8s/build.sh's binaries,
// kube-controller-manager included, and helm from scripts/k8s/build-tools.sh).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { helmTemplate } from '../chart/helm.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { eventually, metricValue } from './webhook-harness.ts';

const ENABLED = process.env['RUNTIME_GUARD_E2E'] !== '0';
const SKIP = ENABLED
  ? false
  : 'runtime-guard audit e2e skipped: RUNTIME_GUARD_E2E=0 (it needs the binaries from scripts/k8s/build.sh, kube-controller-manager included, and helm; see test/e2e/README.md)';
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const NS = 'audit-apps';
const RELEASE_NS = 'runtime-guard';
/** The chart's names for release rg: ServiceAccount, RBAC and Lease of the audit. */
const LEASE = 'rg-runtime-guard-audit';

const CONFIG = `preset: baseline
mode: audit
extraKinds:
  - { group: audit.runtime-guard.test, kind: Widget, podTemplatePath: spec.template }
  - { group: audit.runtime-guard.test, kind: Machine, podTemplatePath: spec.template }
`;

const IMAGE = 'registry.invalid/app:1';

const WIDGET_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.audit.runtime-guard.test }
spec:
  group: audit.runtime-guard.test
  scope: Namespaced
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: machines.audit.runtime-guard.test }
spec:
  group: audit.runtime-guard.test
  scope: Cluster
  names: { kind: Machine, plural: machines, singular: machine, listKind: MachineList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

/** A cluster-scoped custom kind: its report is a ClusterReport. */
const MACHINE = `
apiVersion: audit.runtime-guard.test/v1
kind: Machine
metadata: { name: node-agent }
spec:
  template:
    spec:
      containers:
        - name: agent
          image: ${IMAGE}
          securityContext: { privileged: true }
`;

const WORKLOADS = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: app
          image: ${IMAGE}
          securityContext: { capabilities: { add: [SYS_ADMIN] } }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: nightly, namespace: ${NS} }
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: backup
              image: ${IMAGE}
              securityContext: { privileged: true }
---
apiVersion: v1
kind: Pod
metadata: { name: bare, namespace: ${NS} }
spec:
  containers:
    - name: app
      image: ${IMAGE}
      securityContext: { seccompProfile: { type: Unconfined } }
---
apiVersion: audit.runtime-guard.test/v1
kind: Widget
metadata: { name: gadget, namespace: ${NS} }
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${IMAGE}
          securityContext: { capabilities: { add: [NET_ADMIN] } }
`;

interface Result {
  rule?: string;
  result: string;
  message: string;
  properties?: Record<string, string>;
}
interface Report {
  kind: string;
  metadata: { name: string; ownerReferences?: { kind: string; name: string; uid: string }[] };
  scope: { kind: string; name: string; uid: string };
  summary: Record<string, number>;
  results: Result[];
}

interface AuditProcess {
  child: ChildProcess;
  /** Its log lines so far, for a failure to show. */
  lines: string[];
  port: number;
  identity: string;
  metrics(): Promise<string>;
  stop(): Promise<number | null>;
}

describe('runtime-guard audit against a real control plane', { timeout: 10 * 60_000 }, () => {
  let cp: ControlPlane | undefined;
  let dir = '';
  let configFile = '';
  let auditKubeconfig = '';
  const replicas: AuditProcess[] = [];
  const plane = (): ControlPlane => {
    if (!cp) throw new Error('no control plane');
    return cp;
  };
  const kubectl = async (args: string[], input?: string) => {
    const result = await plane().kubectl(args, input === undefined ? {} : { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse(await kubectl([...args, '-o', 'json'])) as T;

  async function startAudit(identity: string, extra: string[] = []): Promise<AuditProcess> {
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'audit',
        '--config',
        configFile,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--identity',
        identity,
        '--lease-namespace',
        RELEASE_NS,
        '--lease-name',
        LEASE,
        '--resync-seconds',
        '3',
        '--writes-per-second',
        '50',
        ...extra,
      ],
      {
        env: { ...process.env, KUBECONFIG: auditKubeconfig },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      rl.on('line', (line) => {
        lines.push(line);
        const parsed = JSON.parse(line) as { msg?: string; port?: number };
        if (parsed.msg === 'runtime-guard audit started' && parsed.port) resolve(parsed.port);
      });
      child.once('exit', (code) =>
        reject(new Error(`audit ${identity} exited ${code}: ${stderr}${lines.join('\n')}`)),
      );
    });
    const audit: AuditProcess = {
      child,
      lines,
      port,
      identity,
      metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
      async stop() {
        if (child.exitCode !== null) return child.exitCode;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const [code] = (await exited) as [number | null];
        return code;
      },
    };
    replicas.push(audit);
    return audit;
  }

  const reports = async (kind = 'reports.openreports.io'): Promise<Report[]> =>
    (await json<{ items: Report[] }>(['get', kind, '-n', NS])).items;
  const reportOf = async (kind: string, name: string): Promise<Report | undefined> =>
    (await reports()).find((r) => r.scope.kind === kind && r.scope.name === name);
  const leaderOf = async (): Promise<AuditProcess | undefined> => {
    for (const r of replicas)
      if (
        r.child.exitCode === null &&
        metricValue(await r.metrics(), 'runtime_guard_audit_leader') === 1
      )
        return r;
    return undefined;
  };
  const writes = async (r: AuditProcess) => {
    const text = await r.metrics();
    return ['create', 'update', 'delete'].reduce(
      (n, operation) =>
        n + metricValue(text, 'runtime_guard_audit_report_writes_total', { operation }),
      0,
    );
  };

  before(async () => {
    if (!ENABLED) return;
    dir = await mkdtemp(join(tmpdir(), 'runtime-guard-audit-e2e-'));
    configFile = join(dir, 'config.yaml');
    await writeFile(configFile, CONFIG);
    cp = await startControlPlane({
      controllerManager: true,
      log: (m) => process.stderr.write(`[control-plane] ${m}\n`),
    });
    const crds = await helmTemplate([
      '--set',
      'audit.enabled=true',
      '--set',
      'audit.installCRDs=true',
      '--show-only',
      'templates/audit-crds.yaml',
    ]);
    const wgCrds = await helmTemplate([
      '--set',
      'audit.enabled=true',
      '--set',
      'audit.installCRDs=true',
      '--set',
      'audit.reportApi=wgpolicyk8s.io/v1alpha2',
      '--show-only',
      'templates/audit-crds.yaml',
    ]);
    await kubectl(['apply', '-f', '-'], `${crds}\n---\n${wgCrds}\n---\n${WIDGET_CRD}`);
    await kubectl([
      'wait',
      '--for=condition=established',
      '--timeout=60s',
      'crd/reports.openreports.io',
      'crd/policyreports.wgpolicyk8s.io',
      'crd/widgets.audit.runtime-guard.test',
      'crd/machines.audit.runtime-guard.test',
    ]);
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['create', 'namespace', RELEASE_NS]);
    // The chart's ServiceAccount and RBAC, for real: the replicas run with that account's token,
    // so a right the chart forgot fails here. (Its Deployment is applied too; without a kubelet
    // its pods stay Pending, and the processes below stand in for them.)
    const chart = await helmTemplate([
      '--namespace',
      RELEASE_NS,
      '--set',
      'audit.enabled=true',
      '--set-json',
      'config.extraKinds=[{"group":"audit.runtime-guard.test","kind":"Widget","resource":"widgets","podTemplatePath":"spec.template"},{"group":"audit.runtime-guard.test","kind":"Machine","resource":"machines","podTemplatePath":"spec.template"}]',
      '--show-only',
      'templates/audit.yaml',
      '--show-only',
      'templates/configmap.yaml',
    ]);
    await kubectl(['apply', '-f', '-'], chart);
    await eventually(
      'ServiceAccount default in the release namespace',
      async () =>
        (await plane().kubectl(['get', 'serviceaccount', 'default', '-n', RELEASE_NS])).code === 0
          ? true
          : undefined,
      { timeoutMs: 60_000 },
    );
    const token = (
      await kubectl(['create', 'token', LEASE, '-n', RELEASE_NS, '--duration=2h'])
    ).trim();
    auditKubeconfig = join(dir, 'audit.kubeconfig');
    await writeFile(
      auditKubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'e2e',
            cluster: { server: plane().server, 'certificate-authority': plane().caCertPath },
          },
        ],
        users: [{ name: 'audit', user: { token } }],
        contexts: [{ name: 'audit', context: { cluster: 'e2e', user: 'audit' } }],
        'current-context': 'audit',
      }),
    );
    await eventually(
      'ServiceAccount default',
      async () =>
        (await plane().kubectl(['get', 'serviceaccount', 'default', '-n', NS])).code === 0
          ? true
          : undefined,
      { timeoutMs: 60_000 },
    );
    await kubectl(['apply', '-f', '-'], WORKLOADS);
    await kubectl(['create', 'job', 'nightly-manual', '--from=cronjob/nightly', '-n', NS]);
    await eventually(
      '3 pods (2 of web, 1 of the job)',
      async () =>
        (await json<{ items: unknown[] }>(['get', 'pods', '-n', NS, '-l', 'app=web'])).items
          .length === 2 &&
        (
          await json<{ items: unknown[] }>([
            'get',
            'pods',
            '-n',
            NS,
            '-l',
            'job-name=nightly-manual',
          ])
        ).items.length === 1
          ? true
          : undefined,
      { timeoutMs: 120_000 },
    );
    await startAudit('replica-a');
    await startAudit('replica-b');
  });

  after(async () => {
    for (const r of replicas) await r.stop();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test(
    'one report per owning workload appears: Deployment, CronJob, bare pod, custom kind',
    { skip: SKIP },
    async () => {
      const expected: [string, string][] = [
        ['Deployment', 'web'],
        ['CronJob', 'nightly'],
        ['Pod', 'bare'],
        ['Widget', 'gadget'],
      ];
      const found = await eventually(
        'the four reports',
        async () => {
          const all = await reports();
          return expected.every(([k, n]) =>
            all.some((r) => r.scope.kind === k && r.scope.name === n),
          )
            ? all
            : undefined;
        },
        { timeoutMs: 60_000 },
      );
      // Pods, ReplicaSets and Jobs are folded into their owner: no report of their own.
      assert.deepEqual(found.map((r) => `${r.scope.kind}/${r.scope.name}`).sort(), [
        'CronJob/nightly',
        'Deployment/web',
        'Pod/bare',
        'Widget/gadget',
      ]);
      const uids = new Map<string, string>();
      for (const [kind, name] of expected) {
        const object = await json<{ metadata: { uid: string } }>([
          'get',
          kind === 'Widget' ? 'widgets.audit.runtime-guard.test' : kind.toLowerCase(),
          name,
          '-n',
          NS,
        ]);
        uids.set(`${kind}/${name}`, object.metadata.uid);
      }
      const failing: Record<string, string[]> = {};
      for (const r of found) {
        const key = `${r.scope.kind}/${r.scope.name}`;
        assert.equal(r.scope.uid, uids.get(key), `${key}: scope names the workload's uid`);
        assert.deepEqual(
          r.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
          [[r.scope.kind, r.scope.name, uids.get(key)]],
        );
        failing[key] = r.results.filter((x) => x.result === 'fail').map((x) => x.rule ?? '');
      }
      assert.deepEqual(failing, {
        'Deployment/web': ['capabilitiesAdded'],
        'CronJob/nightly': ['privileged'],
        'Pod/bare': ['seccompUnconfined'],
        'Widget/gadget': ['capabilitiesAdded'],
      });
      const web = found.find((r) => r.scope.kind === 'Deployment');
      const capability = web?.results.find((x) => x.rule === 'capabilitiesAdded');
      assert.equal(capability?.properties?.pods, '2', 'both running pods are in the one result');
      assert.match(
        capability?.message ?? '',
        /^container "app": adds capability SYS_ADMIN, which the baseline policy does not allow/,
      );
      const nightly = found.find((r) => r.scope.kind === 'CronJob');
      assert.equal(
        nightly?.results.find((x) => x.rule === 'privileged')?.properties?.pods,
        '1',
        "the manual Job's pod is folded into the CronJob",
      );
    },
  );

  test(
    'a cluster-scoped custom kind gets a ClusterReport, owned by it',
    { skip: SKIP },
    async () => {
      await kubectl(['apply', '-f', '-'], MACHINE);
      const machine = await json<{ metadata: { uid: string } }>([
        'get',
        'machines.audit.runtime-guard.test',
        'node-agent',
      ]);
      const report = await eventually(
        'a ClusterReport for the Machine',
        async () =>
          (await json<{ items: Report[] }>(['get', 'clusterreports.openreports.io'])).items.find(
            (r) => r.scope.name === 'node-agent',
          ),
        { timeoutMs: 60_000 },
      );
      assert.equal(report.kind, 'ClusterReport');
      assert.equal(report.scope.uid, machine.metadata.uid);
      assert.deepEqual(
        report.results.filter((x) => x.result === 'fail').map((x) => x.rule),
        ['privileged'],
      );
    },
  );

  test('the API server validates reports against the CRD schema', { skip: SKIP }, async () => {
    const bogus = `apiVersion: openreports.io/v1alpha1
kind: Report
metadata: { name: not-ours, namespace: ${NS} }
results:
  - { policy: p, result: bogus, severity: dire }
`;
    const refused = await plane().kubectl(['apply', '-f', '-'], { input: bogus });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /results\[0\]\.result: Unsupported value: "bogus"/);
    assert.match(refused.stderr, /results\[0\]\.severity: Unsupported value: "dire"/);
  });

  test(
    'two replicas: one holds the Lease and writes, the other writes nothing',
    { skip: SKIP },
    async () => {
      const leader = await eventually('a leader', leaderOf);
      const lease = await json<{ spec: { holderIdentity: string } }>([
        'get',
        'lease',
        LEASE,
        '-n',
        RELEASE_NS,
      ]);
      assert.equal(lease.spec.holderIdentity, leader.identity);
      const others = replicas.filter((r) => r !== leader);
      assert.equal(others.length, 1);
      for (const other of others) {
        const text = await other.metrics();
        assert.equal(metricValue(text, 'runtime_guard_audit_leader'), 0);
        assert.equal(await writes(other), 0, `${other.identity} wrote nothing`);
        assert.equal(
          metricValue(text, 'runtime_guard_audit_caches_synced'),
          1,
          'its caches are warm all the same',
        );
        const ready = await fetch(`http://127.0.0.1:${other.port}/readyz`);
        assert.equal(ready.status, 200);
      }
      assert.ok((await writes(leader)) >= 4);
    },
  );

  test('once steady, a resync writes nothing', { skip: SKIP }, async () => {
    const leader = await eventually('a leader', leaderOf);
    const passAt = async () =>
      metricValue(await leader.metrics(), 'runtime_guard_audit_last_full_pass_timestamp_seconds');
    const first = await eventually('a full pass', async () =>
      (await passAt()) > 0 ? passAt() : undefined,
    );
    const before = await writes(leader);
    const unchangedBefore = metricValue(
      await leader.metrics(),
      'runtime_guard_audit_reports_unchanged_total',
    );
    // Two more passes (every 3 s), each over every workload.
    await eventually(
      'two more full passes',
      async () => ((await passAt()) >= first + 5 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    assert.equal(await writes(leader), before, 'no write during the resyncs');
    assert.ok(
      metricValue(await leader.metrics(), 'runtime_guard_audit_reports_unchanged_total') >=
        unchangedBefore + 8,
    );
  });

  test(
    "a fixed workload's report changes: the template passes, the pods still running are a warn",
    { skip: SKIP },
    async () => {
      const web = await reportOf('Deployment', 'web');
      const patch = web?.results.find((x) => x.rule === 'capabilitiesAdded')?.properties?.patch;
      assert.ok(patch, 'the report hands over the JSON Patch');
      await kubectl(['patch', 'deployment', 'web', '-n', NS, '--type=json', '-p', patch]);
      const changed = await eventually(
        'the report of web to change',
        async () => {
          const r = await reportOf('Deployment', 'web');
          return r && !r.results.some((x) => x.rule === 'capabilitiesAdded' && x.result === 'fail')
            ? r
            : undefined;
        },
        { timeoutMs: 60_000 },
      );
      // No kubelet: the new pods never get ready, so the old ones, with SYS_ADMIN, keep running.
      const running = changed.results.filter((x) => x.rule === 'capabilitiesAdded');
      assert.deepEqual(
        running.map((x) => [x.result, x.properties?.status]),
        [['warn', 'running-unprotected']],
      );
    },
  );

  test('a configuration change re-evaluates every workload', { skip: SKIP }, async () => {
    await writeFile(configFile, `${CONFIG}exemptions:\n  namespaces: [${NS}]\n`);
    await eventually(
      'every report to skip',
      async () => {
        const all = await reports();
        return all.length >= 4 && all.every((r) => r.summary.skip === 1 && r.summary.fail === 0)
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await writeFile(configFile, CONFIG);
    await eventually(
      'the findings back',
      async () => ((await reportOf('Widget', 'gadget'))?.summary.fail === 1 ? true : undefined),
      { timeoutMs: 60_000 },
    );
  });

  test('the garbage collector deletes the report with its workload', { skip: SKIP }, async () => {
    const before = await reports();
    await kubectl(['delete', 'deployment', 'web', '-n', NS, '--wait=false']);
    await kubectl([
      'delete',
      'widgets.audit.runtime-guard.test',
      'gadget',
      '-n',
      NS,
      '--wait=false',
    ]);
    await eventually(
      'the two reports gone',
      async () => {
        const all = await reports();
        return all.some((r) => r.scope.name === 'web' || r.scope.name === 'gadget')
          ? undefined
          : all;
      },
      { timeoutMs: 90_000 },
    );
    assert.ok(before.some((r) => r.scope.name === 'web'));
    assert.ok(
      (await reports()).some((r) => r.scope.name === 'bare'),
      'the others stay',
    );
  });

  test(
    'the leader stops on SIGTERM and releases the Lease; the other takes over and writes',
    { skip: SKIP },
    async () => {
      const leader = await eventually('a leader', leaderOf);
      const other = replicas.find((r) => r !== leader && r.child.exitCode === null);
      assert.ok(other);
      const started = Date.now();
      assert.equal(await leader.stop(), 0, 'exits 0');
      await eventually('the other to lead', async () =>
        metricValue(await other.metrics(), 'runtime_guard_audit_leader') === 1 ? true : undefined,
      );
      // Released, not expired: far sooner than the 15 s lease duration.
      assert.ok(Date.now() - started < 12_000, `took over after ${Date.now() - started} ms`);
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: v1
kind: Pod
metadata: { name: late, namespace: ${NS} }
spec:
  containers: [{ name: app, image: ${IMAGE}, securityContext: { privileged: true } }]
`,
      );
      const late = await eventually('a report for the new pod', () => reportOf('Pod', 'late'), {
        timeoutMs: 60_000,
      });
      assert.deepEqual(
        late.results.filter((x) => x.result === 'fail').map((x) => x.rule),
        ['privileged'],
      );
      assert.ok((await writes(other)) >= 1);
    },
  );

  test(
    'wgpolicyk8s.io/v1alpha2: PolicyReports, accepted by their CRD',
    { skip: SKIP },
    async () => {
      const audit = await startAudit('replica-wg', [
        '--report-api',
        'wgpolicyk8s.io/v1alpha2',
        // The chart's account may write the report kind of its reportApi only: this one runs as admin.
        '--kubeconfig',
        plane().adminKubeconfig,
        '--lease-name',
        'audit-wg',
      ]);
      const found = await eventually(
        'a PolicyReport for the bare pod',
        async () =>
          (await reports('policyreports.wgpolicyk8s.io')).find((r) => r.scope.name === 'bare'),
        { timeoutMs: 60_000, lastSeen: () => audit.lines.slice(-5).join('\n') },
      );
      assert.equal(found.kind, 'PolicyReport');
      assert.deepEqual(
        found.results.filter((x) => x.result === 'fail').map((x) => x.rule),
        ['seccompUnconfined'],
      );
      assert.equal(await audit.stop(), 0);
    },
  );
});
