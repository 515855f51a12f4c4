// runtime-guard behind a real kube-apiserver, through the configurations the chart ships, seen
// as a developer sees it: kubectl's exit code, its error and `Warning:` lines, what
// `kubectl get -o json` shows, and the webhook's own log and metrics. One control plane and one
// webhook process for the whole file; every object has its own name.
// RUNTIME_GUARD_E2E=0 skips it (see test/e2e/README.md).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { INJECT_LABEL, SIDECAR_NAME, startSidecarInjector } from './webhook-sidecar-injector.ts';
import {
  apply,
  applyWebhookConfigurations,
  base64,
  boundedKubectl,
  container,
  createNamespace,
  E2E_ENABLED,
  E2E_POLICY,
  E2E_SKIP,
  eventually,
  getJson,
  metricValue,
  MODE_LABEL,
  MUTATING_WEBHOOK,
  pod,
  POD_SPEC_PATH,
  probePod,
  ServingCertificate,
  startWebhook,
  temporaryDirectory,
  VALIDATING_WEBHOOK,
  waitUntilWebhookDenies,
  warningLines,
  workload,
  type Json,
  type Kubectl,
  type KubeObject,
  type WebhookProcess,
} from './webhook-harness.ts';

const WARN_NAMESPACE = 'team-warned';
const AUDIT_NAMESPACE = 'team-audited';
const OFF_NAMESPACE = 'team-unguarded';
const LEGACY_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const legacyContainerAnnotation = (name: string): string =>
  `container.seccomp.security.alpha.kubernetes.io/${name}`;

describe('runtime-guard behind a real kube-apiserver', { timeout: 15 * 60_000 }, () => {
  let cp: ControlPlane | undefined;
  let webhook: WebhookProcess | undefined;
  let tls: ServingCertificate | undefined;
  let removeDirectory: (() => Promise<void>) | undefined;

  const plane = (): ControlPlane => {
    assert.ok(cp, 'control plane not started');
    return cp;
  };
  const server = (): WebhookProcess => {
    assert.ok(webhook, 'webhook not started');
    return webhook;
  };
  const kubectl: Kubectl = (args, options) => boundedKubectl(plane())(args, options);
  const dev = (): string => plane().developerNamespace;

  before(
    async () => {
      if (!E2E_ENABLED) return;
      const directory = await temporaryDirectory('runtime-guard-e2e-webhook-');
      removeDirectory = directory.remove;
      cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
      tls = await ServingCertificate.create(join(directory.path, 'tls'), 'runtime-guard e2e CA');
      webhook = await startWebhook({
        directory: directory.path,
        tls,
        policy: E2E_POLICY,
        kubeconfig: cp.adminKubeconfig,
      });
      await applyWebhookConfigurations(cp, { url: webhook.url, caBundlePem: tls.authority.cert });
      await createNamespace(kubectl, WARN_NAMESPACE, { [MODE_LABEL]: 'warn' });
      await createNamespace(kubectl, AUDIT_NAMESPACE, { [MODE_LABEL]: 'audit' });
      await createNamespace(kubectl, OFF_NAMESPACE, { [MODE_LABEL]: 'off' });
      await waitUntilWebhookDenies(kubectl, dev());
      // The namespace labels reach the webhook through its informer, a moment after creation.
      for (const namespace of [WARN_NAMESPACE, AUDIT_NAMESPACE, OFF_NAMESPACE]) {
        await eventually(`the ${namespace} label to reach the webhook`, async () => {
          const probe = await apply(kubectl, probePod('mode-probe'), namespace, {
            extraArgs: ['--dry-run=server'],
          });
          return probe.code === 0 ? true : undefined;
        });
      }
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    const ended = await webhook?.stop();
    await cp?.stop();
    await removeDirectory?.();
    if (ended && ended.code !== 0)
      process.stderr.write(`runtime-guard exited with ${String(ended.code ?? ended.signal)}\n`);
  });

  test(
    'the apiserver holds both webhook configurations as the chart renders them',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const caBundle = base64(tls!.authority.cert);
      const expectedResources = [
        'pods',
        'pods/ephemeralcontainers',
        'podtemplates',
        'replicationcontrollers',
        'apps/deployments',
        'apps/replicasets',
        'apps/statefulsets',
        'apps/daemonsets',
        'batch/jobs',
        'batch/cronjobs',
      ];
      for (const [resource, name, path] of [
        ['validatingwebhookconfigurations', VALIDATING_WEBHOOK, '/validate'],
        ['mutatingwebhookconfigurations', MUTATING_WEBHOOK, '/mutate'],
      ] as const) {
        const listed = await kubectl(['get', resource, '-o', 'json']);
        assert.equal(listed.code, 0, listed.stderr);
        const hooks = (JSON.parse(listed.stdout) as { items: { webhooks?: Json[] }[] }).items
          .flatMap((item) => item.webhooks ?? [])
          .filter((hook) => hook['name'] === name);
        assert.equal(hooks.length, 1, `one ${name} webhook in ${resource}`);
        const hook = hooks[0]!;
        assert.deepEqual(hook['clientConfig'], { url: `${server().url}${path}`, caBundle });
        assert.equal(hook['sideEffects'], 'None');
        assert.deepEqual(hook['admissionReviewVersions'], ['v1', 'v1beta1']);
        assert.equal(hook['matchPolicy'], 'Equivalent');
        assert.equal(hook['timeoutSeconds'], 10);
        const rules = hook['rules'] as {
          apiGroups: string[];
          resources: string[];
          operations: string[];
        }[];
        const covered = rules.flatMap((rule) =>
          rule.apiGroups.flatMap((group) =>
            rule.resources.map((r) => (group === '' ? r : `${group}/${r}`)),
          ),
        );
        assert.deepEqual([...covered].sort(), [...expectedResources].sort());
        for (const rule of rules) assert.deepEqual(rule.operations, ['CREATE', 'UPDATE']);
        if (name === VALIDATING_WEBHOOK) {
          assert.equal(hook['failurePolicy'], 'Fail');
        } else {
          assert.equal(hook['failurePolicy'], 'Ignore');
          assert.equal(hook['reinvocationPolicy'], 'IfNeeded');
        }
      }
    },
  );

  // One violation each that the mutation cannot fix, so the validating webhook refuses.
  const refusals: {
    kind: string;
    user: 'developer' | 'admin';
    spec: Json;
    subject: string;
    fix: (specPath: string) => string;
  }[] = [
    {
      kind: 'Pod',
      user: 'developer',
      spec: { containers: [container('app', { privileged: true })] },
      subject: 'container "app"',
      fix: (p) => `set ${p}.containers[0].securityContext.privileged: false`,
    },
    {
      kind: 'Deployment',
      user: 'developer',
      spec: { containers: [container('web', { capabilities: { add: ['SYS_ADMIN'] } })] },
      subject: 'container "web"',
      fix: (p) => `remove "SYS_ADMIN" from ${p}.containers[0].securityContext.capabilities.add`,
    },
    {
      kind: 'StatefulSet',
      user: 'developer',
      spec: { containers: [container('db', { seccompProfile: { type: 'Unconfined' } })] },
      subject: 'container "db"',
      fix: (p) => `set ${p}.containers[0].securityContext.seccompProfile.type: RuntimeDefault`,
    },
    {
      kind: 'DaemonSet',
      user: 'developer',
      spec: {
        containers: [
          container('log-shipper'),
          container('agent', { capabilities: { add: ['NET_ADMIN'] } }),
        ],
      },
      subject: 'container "agent"',
      fix: (p) => `remove "NET_ADMIN" from ${p}.containers[1].securityContext.capabilities.add`,
    },
    {
      kind: 'Job',
      user: 'developer',
      spec: {
        initContainers: [container('migrate', { privileged: true })],
        containers: [container('main')],
      },
      subject: 'init container "migrate"',
      fix: (p) => `set ${p}.initContainers[0].securityContext.privileged: false`,
    },
    {
      kind: 'CronJob',
      user: 'developer',
      spec: { containers: [container('report', { capabilities: { add: ['sys_admin'] } })] },
      subject: 'container "report"',
      fix: (p) => `remove "sys_admin" from ${p}.containers[0].securityContext.capabilities.add`,
    },
    {
      kind: 'ReplicaSet',
      user: 'developer',
      spec: { containers: [container('web', { privileged: true })] },
      subject: 'container "web"',
      fix: (p) => `set ${p}.containers[0].securityContext.privileged: false`,
    },
    {
      kind: 'ReplicationController',
      user: 'developer',
      spec: { containers: [container('web', { capabilities: { add: ['ALL'] } })] },
      subject: 'container "web"',
      fix: (p) => `remove "ALL" from ${p}.containers[0].securityContext.capabilities.add`,
    },
    // The `edit` role cannot write PodTemplates.
    {
      kind: 'PodTemplate',
      user: 'admin',
      spec: { containers: [container('tpl', { privileged: true })] },
      subject: 'container "tpl"',
      fix: (p) => `set ${p}.containers[0].securityContext.privileged: false`,
    },
  ];

  for (const refusal of refusals) {
    test(
      `kubectl apply of a non-compliant ${refusal.kind} fails with our message naming the container and the fix`,
      { skip: E2E_SKIP, timeout: 60_000 },
      async () => {
        const name = `refused-${refusal.kind.toLowerCase()}`;
        const applied = await apply(kubectl, workload(refusal.kind, name, refusal.spec), dev(), {
          user: refusal.user,
        });
        assert.notEqual(applied.code, 0, `kubectl apply succeeded:\n${applied.stdout}`);
        assert.match(
          applied.stderr,
          /^Error from server \(Forbidden\): error when creating "STDIN": /,
        );
        assert.ok(
          applied.stderr.includes(
            `admission webhook "${VALIDATING_WEBHOOK}" denied the request: runtime-guard: ${refusal.kind} "${name}" in namespace "${dev()}" violates the restricted policy (mode: enforce), 1 violation:`,
          ),
          applied.stderr,
        );
        const line = applied.stderr.split('\n').find((l) => l.startsWith(`- ${refusal.subject}: `));
        assert.ok(line, `a line for ${refusal.subject} in:\n${applied.stderr}`);
        assert.ok(
          line.endsWith(`. Fix: ${refusal.fix(POD_SPEC_PATH[refusal.kind]!)}`),
          `the fix in: ${line}`,
        );

        const got = await kubectl(['get', refusal.kind.toLowerCase(), name, '-n', dev()]);
        assert.notEqual(got.code, 0);
        assert.match(got.stderr, /NotFound|not found/);
      },
    );
  }

  test(
    'a Windows HostProcess pod is refused although Windows pods skip the Linux rules',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      // The API server admits it (test/e2e/adversarial.test.ts); on a Windows node it would run
      // on the host with a host account.
      const applied = await apply(
        kubectl,
        pod('host-agent', {
          os: { name: 'windows' },
          hostNetwork: true,
          securityContext: { windowsOptions: { hostProcess: true } },
          containers: [container('agent')],
        }),
        dev(),
        { user: 'developer' },
      );
      assert.notEqual(applied.code, 0, `kubectl apply succeeded:\n${applied.stdout}`);
      assert.ok(
        applied.stderr.includes(
          `- pod: runs as a Windows HostProcess container (on the node itself, with a host account). Fix: remove spec.securityContext.windowsOptions.hostProcess`,
        ),
        applied.stderr,
      );
    },
  );

  test(
    'a compliant pod without any securityContext is admitted with the RuntimeDefault profile and drop list the mutation added',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const applied = await apply(
        kubectl,
        pod('plain', {
          initContainers: [container('setup')],
          containers: [container('app'), container('sidecar')],
        }),
        dev(),
        { user: 'developer' },
      );
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stdout.trim(), 'pod/plain created');
      assert.deepEqual(warningLines(applied.stderr), []);

      const stored = (await getJson(kubectl, 'pod', 'plain', dev())) as {
        spec: { securityContext?: Json; initContainers: Json[]; containers: Json[] };
      };
      assert.deepEqual(stored.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of [...stored.spec.initContainers, ...stored.spec.containers])
        assert.deepEqual(
          c['securityContext'],
          { capabilities: { drop: ['ALL'] } },
          `${String(c['name'])}`,
        );

      const [mutated] = await server().decisions(
        (d) => d['endpoint'] === 'mutate' && d['object'] === `${dev()}/plain`,
        1,
      );
      assert.equal(mutated?.['decision'], 'patched');
      assert.deepEqual(mutated?.['changes'], [
        'set spec.securityContext.seccompProfile to RuntimeDefault',
        'added ALL to init container "setup" capabilities.drop',
        'added ALL to container "app" capabilities.drop',
        'added ALL to container "sidecar" capabilities.drop',
      ]);
    },
  );

  test(
    "a Deployment's pod template gets the same fixes, and a later label-only apply leaves it alone",
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const deployment = workload('Deployment', 'web', { containers: [container('web')] });
      const applied = await apply(kubectl, deployment, dev(), { user: 'developer' });
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stdout.trim(), 'deployment.apps/web created');

      const stored = (await getJson(kubectl, 'deployment', 'web', dev())) as {
        spec: { template: { spec: { securityContext: Json; containers: Json[] } } };
      };
      const template = stored.spec.template.spec;
      assert.deepEqual(template.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      assert.deepEqual(template.containers[0]?.['securityContext'], {
        capabilities: { drop: ['ALL'] },
      });

      // A label on the Deployment only: the template is unchanged and nothing is patched.
      const relabelled = structuredClone(deployment);
      relabelled.metadata['labels'] = { team: 'shop' };
      const again = await apply(kubectl, relabelled, dev(), { user: 'developer' });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout.trim(), 'deployment.apps/web configured');
      const after = (await getJson(kubectl, 'deployment', 'web', dev())) as typeof stored;
      assert.deepEqual(after.spec, stored.spec);

      // Adding a forbidden capability to the template is an UPDATE that is refused.
      const escalated = structuredClone(deployment);
      (escalated['spec'] as { template: { spec: Json } }).template.spec = {
        containers: [container('web', { capabilities: { add: ['SYS_ADMIN'] } })],
      };
      const refused = await apply(kubectl, escalated, dev(), { user: 'developer' });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /error when applying patch/);
      assert.ok(
        refused.stderr.includes(
          `- container "web": adds capability SYS_ADMIN, which the restricted policy does not allow. Fix: remove "SYS_ADMIN" from spec.template.spec.containers[0].securityContext.capabilities.add`,
        ),
        refused.stderr,
      );
      // The label-only UPDATE reached neither webhook (the chart's matchConditions leave out
      // what runtime-guard skips anyway); the refused one reached the validating webhook.
      const updates = await server().decisions(
        (d) => d['object'] === `${dev()}/web` && d['operation'] === 'UPDATE',
        1,
      );
      assert.deepEqual(
        updates.map((d) => [d['endpoint'], d['decision']]),
        [['validate', 'denied']],
      );
    },
  );

  test(
    'GitOps re-applying an unchanged Deployment manifest with legacy annotations in its template starts no rollout',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const deployment = workload('Deployment', 'legacy-web', {
        containers: [container('web'), container('tracer')],
      });
      const template = (deployment['spec'] as { template: { metadata: Json } }).template;
      template.metadata['annotations'] = {
        [LEGACY_POD_ANNOTATION]: 'runtime/default',
        [legacyContainerAnnotation('tracer')]: 'localhost/profiles/tracer.json',
      };
      const created = await apply(kubectl, deployment, dev(), { user: 'developer' });
      assert.equal(created.code, 0, created.stderr);
      const first = (await getJson(kubectl, 'deployment', 'legacy-web', dev())) as {
        metadata: { generation: number };
        spec: { template: { metadata: Json; spec: { containers: Json[] } } };
      };
      assert.deepEqual(first.spec.template.metadata, { labels: { app: 'legacy-web' } });
      assert.deepEqual(first.spec.template.spec.containers[1]?.['securityContext'], {
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/tracer.json' },
      });

      // kubectl's three-way merge puts the annotations back into the template; the mutation
      // takes them out again, so the template, and with it the generation, stays as it was.
      for (let round = 0; round < 2; round += 1) {
        const again = await apply(kubectl, deployment, dev(), { user: 'developer' });
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(warningLines(again.stderr), []);
        const now = (await getJson(kubectl, 'deployment', 'legacy-web', dev())) as typeof first;
        assert.equal(now.metadata.generation, first.metadata.generation, 'no new generation');
        assert.deepEqual(now.spec, first.spec);
      }
    },
  );

  test(
    'a pod with only the legacy annotation seccomp…/pod: runtime/default is stored with the field, and the API server has nothing to complain about',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const legacy = pod(
        'legacy-pod-annotation',
        { containers: [container('app')] },
        { annotations: { [LEGACY_POD_ANNOTATION]: 'runtime/default' } },
      );
      const applied = await apply(kubectl, legacy, dev(), { user: 'developer' });
      assert.equal(applied.code, 0, applied.stderr);
      // Without the webhook the API server warns: "…non-functional in v1.27+; use the "seccompProfile" field instead".
      assert.deepEqual(warningLines(applied.stderr), []);

      const stored = (await getJson(kubectl, 'pod', legacy.metadata.name, dev())) as {
        metadata: { annotations: Record<string, string> };
        spec: { securityContext: Json; containers: Json[] };
      };
      assert.deepEqual(stored.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      assert.equal(stored.metadata.annotations[LEGACY_POD_ANNOTATION], undefined);
    },
  );

  const perContainerLegacy = (name: string): KubeObject =>
    pod(
      name,
      { containers: [container('app'), container('tracer'), container('debug')] },
      {
        annotations: {
          [LEGACY_POD_ANNOTATION]: 'runtime/default',
          [legacyContainerAnnotation('tracer')]: 'localhost/profiles/tracer.json',
          [legacyContainerAnnotation('debug')]: 'unconfined',
        },
      },
    );

  test(
    'per-container localhost/… and unconfined annotations become the matching fields (warn namespace: stored, with our warning)',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const applied = await apply(
        kubectl,
        perContainerLegacy('legacy-containers'),
        WARN_NAMESPACE,
        {
          user: 'developer',
        },
      );
      assert.equal(applied.code, 0, applied.stderr);
      assert.deepEqual(warningLines(applied.stderr), [
        `runtime-guard (warn mode): Pod "legacy-containers" in namespace "${WARN_NAMESPACE}" violates the restricted policy and would be refused in enforce mode`,
        'runtime-guard: container "debug": sets seccomp profile Unconfined (no syscall filtering). Fix: set spec.containers[2].securityContext.seccompProfile.type: RuntimeDefault',
      ]);

      const stored = (await getJson(kubectl, 'pod', 'legacy-containers', WARN_NAMESPACE)) as {
        metadata: { annotations: Record<string, string> };
        spec: { securityContext: Json; containers: { name: string; securityContext: Json }[] };
      };
      assert.deepEqual(stored.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      const profiles = Object.fromEntries(
        stored.spec.containers.map((c) => [c.name, c.securityContext['seccompProfile']]),
      );
      assert.deepEqual(profiles, {
        app: undefined,
        tracer: { type: 'Localhost', localhostProfile: 'profiles/tracer.json' },
        debug: { type: 'Unconfined' },
      });
      const legacyLeft = Object.keys(stored.metadata.annotations).filter((key) =>
        key.includes('seccomp.security.alpha.kubernetes.io'),
      );
      assert.deepEqual(legacyLeft, []);
    },
  );

  test(
    'the same annotations in an enforce namespace: refused, naming the unconfined container and the fix',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const applied = await apply(kubectl, perContainerLegacy('legacy-refused'), dev(), {
        user: 'developer',
      });
      assert.notEqual(applied.code, 0);
      assert.ok(
        applied.stderr.includes(
          `runtime-guard: Pod "legacy-refused" in namespace "${dev()}" violates the restricted policy (mode: enforce), 1 violation:\n- container "debug": sets seccomp profile Unconfined (no syscall filtering). Fix: set spec.containers[2].securityContext.seccompProfile.type: RuntimeDefault`,
        ),
        applied.stderr,
      );

      // Following the fix (the field wins over the annotation) is admitted.
      const fixed = perContainerLegacy('legacy-refused');
      const containers = (fixed['spec'] as { containers: Json[] }).containers;
      containers[2]!['securityContext'] = { seccompProfile: { type: 'RuntimeDefault' } };
      const again = await apply(kubectl, fixed, dev(), { user: 'developer' });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(warningLines(again.stderr), []);
    },
  );

  test(
    'warn mode: the object is created and kubectl prints our Warning: lines',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const deployment = workload('Deployment', 'warned-web', {
        containers: [
          container('web', { capabilities: { add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] } }),
        ],
      });
      const applied = await apply(kubectl, deployment, WARN_NAMESPACE, { user: 'developer' });
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stdout.trim(), 'deployment.apps/warned-web created');
      assert.deepEqual(warningLines(applied.stderr), [
        `runtime-guard (warn mode): Deployment "warned-web" in namespace "${WARN_NAMESPACE}" violates the restricted policy and would be refused in enforce mode`,
        'runtime-guard: container "web": adds capability SYS_ADMIN, which the restricted policy does not allow. Fix: remove "SYS_ADMIN" from spec.template.spec.containers[0].securityContext.capabilities.add',
      ]);
      await getJson(kubectl, 'deployment', 'warned-web', WARN_NAMESPACE);
      const decision = await server().waitForLog(
        'the warned decision',
        (d) => d['endpoint'] === 'validate' && d['object'] === `${WARN_NAMESPACE}/warned-web`,
      );
      assert.equal(decision['decision'], 'warned');
      assert.equal(decision['mode'], 'warn');
    },
  );

  test(
    "audit mode: created without a warning; the decision is in the webhook's log and metrics",
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const audited = {
        endpoint: 'validate',
        kind: 'Pod',
        operation: 'CREATE',
        decision: 'audited',
        mode: 'audit',
      };
      const before = await server().metrics();

      const applied = await apply(
        kubectl,
        pod('audited', { containers: [container('app', { privileged: true })] }),
        AUDIT_NAMESPACE,
        { user: 'developer' },
      );
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stdout.trim(), 'pod/audited created');
      assert.deepEqual(warningLines(applied.stderr), []);
      await getJson(kubectl, 'pod', 'audited', AUDIT_NAMESPACE);

      const decision = await server().waitForLog(
        'the audited decision',
        (d) => d['endpoint'] === 'validate' && d['object'] === `${AUDIT_NAMESPACE}/audited`,
      );
      assert.equal(decision['decision'], 'audited');
      assert.equal(decision['mode'], 'audit');
      assert.equal(decision['operation'], 'CREATE');
      assert.equal(decision['user'], 'developer');
      assert.deepEqual(decision['rules'], ['privileged']);

      const afterwards = await server().metrics();
      const reviews = 'runtime_guard_admission_reviews_total';
      assert.equal(
        metricValue(afterwards, reviews, audited) - metricValue(before, reviews, audited),
        1,
      );
      const violations = 'runtime_guard_policy_violations_total';
      const rule = { rule: 'privileged' };
      assert.equal(
        metricValue(afterwards, violations, rule) - metricValue(before, violations, rule),
        1,
      );
    },
  );

  test(
    'mode off (by namespace label): admitted unjudged, no warning, and the log says why',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const applied = await apply(kubectl, probePod('unguarded'), OFF_NAMESPACE, {
        user: 'developer',
      });
      assert.equal(applied.code, 0, applied.stderr);
      assert.deepEqual(warningLines(applied.stderr), []);
      const stored = (await getJson(kubectl, 'pod', 'unguarded', OFF_NAMESPACE)) as {
        spec: { securityContext: Json };
      };
      assert.deepEqual(stored.spec.securityContext, {}, 'not mutated either');
      const decisions = (
        await server().decisions((d) => d['object'] === `${OFF_NAMESPACE}/unguarded`, 2)
      ).map((d) => [d['endpoint'], d['decision'], d['reason']]);
      assert.deepEqual(decisions, [
        ['mutate', 'skipped', 'mode is off for this namespace'],
        ['validate', 'skipped', 'mode is off for this namespace'],
      ]);
    },
  );

  test(
    'kubectl debug adding a container with a forbidden capability is refused; a direct pods/ephemeralcontainers update too',
    { skip: E2E_SKIP, timeout: 90_000 },
    async () => {
      const created = await apply(
        kubectl,
        pod('debug-target', { containers: [container('app')] }),
        dev(),
        {
          user: 'developer',
        },
      );
      assert.equal(created.code, 0, created.stderr);

      // The `edit` role may not touch pods/ephemeralcontainers: debugging is an admin's business here.
      // --attach=false: with no kubelet the container never starts, and kubectl must not wait for it.
      const debug = await kubectl([
        'debug',
        'pod/debug-target',
        '-n',
        dev(),
        '--image=registry.invalid/debug:1',
        '--profile=netadmin',
        '--container=debugger',
        '--attach=false',
      ]);
      assert.notEqual(debug.code, 0, debug.stdout);
      assert.ok(
        debug.stderr.includes(
          `admission webhook "${VALIDATING_WEBHOOK}" denied the request: runtime-guard: Pod "debug-target" in namespace "${dev()}" violates the restricted policy (mode: enforce), 2 violations:\n` +
            '- ephemeral container "debugger": adds capability NET_ADMIN, which the restricted policy does not allow. Fix: remove "NET_ADMIN" from spec.ephemeralContainers[0].securityContext.capabilities.add\n' +
            '- ephemeral container "debugger": adds capability NET_RAW, which the restricted policy does not allow. Fix: remove "NET_RAW" from spec.ephemeralContainers[0].securityContext.capabilities.add',
        ),
        debug.stderr,
      );

      const patch = {
        spec: {
          ephemeralContainers: [
            {
              name: 'raw-debugger',
              image: 'registry.invalid/debug:1',
              securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
            },
          ],
        },
      };
      const patched = await kubectl([
        'patch',
        'pod',
        'debug-target',
        '-n',
        dev(),
        '--subresource=ephemeralcontainers',
        '--type=strategic',
        '-p',
        JSON.stringify(patch),
      ]);
      assert.notEqual(patched.code, 0, patched.stdout);
      assert.ok(
        patched.stderr.includes(
          '- ephemeral container "raw-debugger": adds capability SYS_PTRACE, which the restricted policy does not allow. Fix: remove "SYS_PTRACE" from spec.ephemeralContainers[0].securityContext.capabilities.add',
        ),
        patched.stderr,
      );
      const untouched = (await getJson(kubectl, 'pod', 'debug-target', dev())) as {
        spec: { ephemeralContainers?: unknown[] };
      };
      assert.equal(untouched.spec.ephemeralContainers, undefined);

      // The restricted debug profile passes, and gets the drop list like any container.
      const allowed = await kubectl([
        'debug',
        'pod/debug-target',
        '-n',
        dev(),
        '--image=registry.invalid/debug:1',
        '--profile=restricted',
        '--container=careful',
        '--attach=false',
      ]);
      assert.equal(allowed.code, 0, allowed.stderr);
      const debugged = (await getJson(kubectl, 'pod', 'debug-target', dev())) as {
        spec: { ephemeralContainers: { name: string; securityContext: { capabilities: Json } }[] };
      };
      assert.deepEqual(
        debugged.spec.ephemeralContainers.map((c) => [c.name, c.securityContext.capabilities]),
        [['careful', { drop: ['ALL'] }]],
      );
    },
  );

  test(
    'a debug container added to a HostProcess pod admitted while its namespace was in audit is refused: it inherits hostProcess',
    { skip: E2E_SKIP, timeout: 90_000 },
    async () => {
      const namespace = 'team-hostprocess';
      await createNamespace(kubectl, namespace, { [MODE_LABEL]: 'audit' });
      const hostProcessPod = pod('node-agent', {
        os: { name: 'windows' },
        hostNetwork: true,
        securityContext: {
          windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' },
        },
        containers: [{ name: 'agent', image: 'registry.invalid/agent:1' }],
      });
      const created = await apply(kubectl, hostProcessPod, namespace);
      assert.equal(created.code, 0, created.stderr);

      const relabelled = await kubectl([
        'label',
        'namespace',
        namespace,
        `${MODE_LABEL}=enforce`,
        '--overwrite',
      ]);
      assert.equal(relabelled.code, 0, relabelled.stderr);
      await waitUntilWebhookDenies(kubectl, namespace);

      // The ephemeralcontainers subresource as kubectl debug uses it, without the SYS_PTRACE its
      // default profile adds (the apiserver refuses capabilities on a Windows pod by itself).
      const debug = await kubectl([
        'patch',
        'pod',
        'node-agent',
        '-n',
        namespace,
        '--subresource=ephemeralcontainers',
        '--type=strategic',
        '-p',
        JSON.stringify({
          spec: {
            ephemeralContainers: [{ name: 'debugger', image: 'registry.invalid/debug:1' }],
          },
        }),
      ]);
      assert.notEqual(debug.code, 0, debug.stdout);
      assert.ok(
        debug.stderr.includes(
          `admission webhook "${VALIDATING_WEBHOOK}" denied the request: runtime-guard: Pod "node-agent" in namespace "${namespace}" violates the restricted policy (mode: enforce), 1 violation:\n` +
            '- ephemeral container "debugger": inherits Windows HostProcess from spec.securityContext.windowsOptions.hostProcess (runs on the node itself, with a host account).',
        ),
        debug.stderr,
      );
      const untouched = (await getJson(kubectl, 'pod', 'node-agent', namespace)) as {
        spec: { ephemeralContainers?: unknown[] };
      };
      assert.equal(untouched.spec.ephemeralContainers, undefined);
    },
  );

  test(
    'reinvocationPolicy IfNeeded: a sidecar injected by a later mutating webhook gets the same fixes',
    { skip: E2E_SKIP, timeout: 90_000 },
    async (t) => {
      const injector = await startSidecarInjector(tls!.authority);
      t.after(async () => {
        await kubectl([
          'delete',
          'mutatingwebhookconfiguration',
          injector.configuration.metadata.name,
        ]);
        await injector.stop();
      });
      const configured = await kubectl(['apply', '-f', '-'], {
        input: JSON.stringify(injector.configuration),
      });
      assert.equal(configured.code, 0, configured.stderr);
      const withSidecar = (name: string) =>
        pod(name, { containers: [container('app')] }, { labels: { [INJECT_LABEL]: 'true' } });
      await eventually('the apiserver to call the sidecar injector', async () => {
        const dry = await apply(kubectl, withSidecar('injector-probe'), dev(), {
          extraArgs: ['--dry-run=server', '-o', 'json'],
        });
        return dry.code === 0 && dry.stdout.includes(SIDECAR_NAME) ? true : undefined;
      });

      const applied = await apply(kubectl, withSidecar('with-sidecar'), dev(), {
        user: 'developer',
      });
      assert.equal(applied.code, 0, applied.stderr);
      assert.deepEqual(warningLines(applied.stderr), []);
      const stored = (await getJson(kubectl, 'pod', 'with-sidecar', dev())) as {
        spec: { securityContext: Json; containers: { name: string; securityContext: Json }[] };
      };
      assert.deepEqual(stored.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      assert.deepEqual(
        stored.spec.containers.map((c) => [c.name, c.securityContext]),
        [
          ['app', { capabilities: { drop: ['ALL'] } }],
          [SIDECAR_NAME, { capabilities: { drop: ['ALL'] } }],
        ],
      );

      const decisions = (
        await server().decisions((d) => d['object'] === `${dev()}/with-sidecar`, 2)
      ).map((d) => [d['endpoint'], d['decision'], d['changes']]);
      assert.deepEqual(decisions, [
        [
          'mutate',
          'patched',
          [
            'set spec.securityContext.seccompProfile to RuntimeDefault',
            'added ALL to container "app" capabilities.drop',
          ],
        ],
        ['mutate', 'patched', [`added ALL to container "${SIDECAR_NAME}" capabilities.drop`]],
        ['validate', 'allowed', undefined],
      ]);
    },
  );

  test(
    'kubectl apply --dry-run=server goes through both webhooks and stores nothing',
    { skip: E2E_SKIP, timeout: 60_000 },
    async () => {
      const compliant = await apply(
        kubectl,
        pod('dry-run', { containers: [container('app')] }),
        dev(),
        {
          user: 'developer',
          extraArgs: ['--dry-run=server', '-o', 'json'],
        },
      );
      assert.equal(compliant.code, 0, compliant.stderr);
      const shown = JSON.parse(compliant.stdout) as {
        spec: { securityContext: Json; containers: Json[] };
      };
      assert.deepEqual(shown.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      assert.deepEqual(shown.spec.containers[0]?.['securityContext'], {
        capabilities: { drop: ['ALL'] },
      });
      const seen = (await server().decisions((d) => d['object'] === `${dev()}/dry-run`, 2)).map(
        (d) => [d['endpoint'], d['decision']],
      );
      assert.deepEqual(seen, [
        ['mutate', 'patched'],
        ['validate', 'allowed'],
      ]);

      const refused = await apply(kubectl, probePod('dry-run-refused'), dev(), {
        user: 'developer',
        extraArgs: ['--dry-run=server'],
      });
      assert.notEqual(refused.code, 0);
      assert.ok(
        refused.stderr.includes(
          `admission webhook "${VALIDATING_WEBHOOK}" denied the request: runtime-guard: Pod "dry-run-refused"`,
        ),
        refused.stderr,
      );

      for (const name of ['dry-run', 'dry-run-refused']) {
        const got = await kubectl(['get', 'pod', name, '-n', dev()]);
        assert.notEqual(got.code, 0, `pod ${name} was stored`);
        assert.match(got.stderr, /not found/);
      }
    },
  );
});
