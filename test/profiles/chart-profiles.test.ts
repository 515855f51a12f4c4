// The chart's profile delivery (values `profiles`): rendered by the real helm, the objects
// validated by a real kube-apiserver (server-side dry run, Pod Security admission included),
// and the DaemonSet judged by runtime-guard's own `restricted` policy. There is no kubelet
// here, so the DaemonSet does not run; what it runs is tested in install-profiles.test.ts.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startControlPlane, type ControlPlane } from '../e2e/control-plane.ts';
import {
  BUILD_TIMEOUT_MS,
  ensureTools,
  FAKE_CA_BUNDLE,
  helmTemplate,
  helmTemplateError,
  NAMESPACE,
  parseManifests,
  REPO_ROOT,
  single,
  skip,
  type Manifest,
} from '../chart/helm.ts';
import { runCli } from './oci-runtime.ts';

const PROFILE = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
};

/** TLS from a given Secret, so no cert-manager object is rendered. */
const TLS = [
  '--set',
  'certManager.enabled=false',
  '--set',
  'tls.existingSecret=rg-tls',
  '--set',
  `tls.caBundle=${FAKE_CA_BUNDLE}`,
];

function enabled(extra: string[] = []): string[] {
  return [
    ...TLS,
    '--set',
    'profiles.enabled=true',
    '--set-json',
    `profiles.files.web\\.json=${JSON.stringify(PROFILE)}`,
    '--set-file',
    `profiles.files.app\\.json=${join(REPO_ROOT, 'test', 'profiles', 'testdata', 'chart', 'app.json')}`,
    ...extra,
  ];
}

const PROFILES_NAMESPACE = `${NAMESPACE}-profiles`;

function policyConfig(objects: readonly Manifest[]): { rules: Record<string, unknown> } {
  const configMap = objects.find(
    (o) => o.kind === 'ConfigMap' && o.metadata.namespace === NAMESPACE,
  ) as ConfigMap;
  return parseYaml(configMap.data?.['config.yaml'] ?? '') as { rules: Record<string, unknown> };
}

describe('helm chart: custom seccomp profiles on the nodes', { timeout: BUILD_TIMEOUT_MS }, () => {
  before(async () => {
    if (!skip) await ensureTools();
  });

  test(
    'off by default: no profile objects, and the allowlist as configured',
    { skip },
    async () => {
      const objects = parseManifests(await helmTemplate(TLS));
      assert.deepEqual(
        objects.filter((o) => o.metadata.name.endsWith('-profiles')),
        [],
      );
      assert.deepEqual(policyConfig(objects).rules, {});
    },
  );

  test(
    'on: a namespace, a ConfigMap of the profiles, and a DaemonSet with one host path',
    { skip },
    async () => {
      const objects = parseManifests(await helmTemplate(enabled()));
      const namespace = single<Namespace>(objects, 'Namespace', PROFILES_NAMESPACE);
      assert.equal(
        namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'],
        'privileged',
      );

      const configMap = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.namespace === PROFILES_NAMESPACE,
      ) as ConfigMap;
      assert.deepEqual(Object.keys(configMap.data ?? {}).sort(), ['app.json', 'web.json']);
      assert.deepEqual(JSON.parse(configMap.data?.['web.json'] ?? ''), PROFILE);
      const app = JSON.parse(
        await readFile(
          join(REPO_ROOT, 'test', 'profiles', 'testdata', 'chart', 'app.json'),
          'utf8',
        ),
      );
      assert.deepEqual(
        JSON.parse(configMap.data?.['app.json'] ?? ''),
        app,
        '--set-file text kept as it is',
      );

      const daemonSet = single<DaemonSet>(objects, 'DaemonSet');
      assert.equal(daemonSet.metadata?.namespace, PROFILES_NAMESPACE);
      const pod = daemonSet.spec?.template.spec;
      assert.ok(pod);
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.hostNetwork ?? false, false);
      assert.equal(pod.hostPID ?? false, false);
      const hostPaths = (pod.volumes ?? []).filter((v) => v.hostPath);
      assert.deepEqual(
        hostPaths.map((v) => v.hostPath),
        [{ path: '/var/lib/kubelet/seccomp/runtime-guard', type: 'DirectoryOrCreate' }],
      );
      assert.deepEqual(
        (pod.volumes ?? []).map((v) => Object.keys(v).filter((k) => k !== 'name')).flat(),
        ['configMap', 'hostPath'],
        'its only volumes',
      );
      assert.equal(pod.containers.length, 1);
      const container = pod.containers[0];
      assert.ok(container);
      assert.deepEqual(container.args, [
        'profile',
        'install',
        '--watch',
        '--from',
        '/etc/runtime-guard/profiles',
        '--to',
        '/host/seccomp/runtime-guard',
      ]);
      const security = container.securityContext;
      assert.equal(security?.privileged, false);
      assert.equal(security?.allowPrivilegeEscalation, false);
      assert.equal(security?.readOnlyRootFilesystem, true);
      assert.deepEqual(security?.capabilities, { drop: ['ALL'] });
      assert.equal(security?.seccompProfile?.type, 'RuntimeDefault');
      assert.deepEqual(
        container.volumeMounts?.map((m) => [m.mountPath, m.readOnly ?? false]),
        [
          ['/etc/runtime-guard/profiles', true],
          ['/host/seccomp/runtime-guard', false],
        ],
      );
    },
  );

  test(
    'on: the Localhost allowlist defaults to runtime-guard/*.json; one that is set wins',
    { skip },
    async () => {
      assert.deepEqual(policyConfig(parseManifests(await helmTemplate(enabled()))).rules, {
        seccompLocalhostAllowlist: { profiles: ['runtime-guard/*.json'] },
      });
      const own = parseManifests(
        await helmTemplate(
          enabled(['--set', 'config.rules.seccompLocalhostAllowlist.profiles[0]=operator/**']),
        ),
      );
      assert.deepEqual(policyConfig(own).rules, {
        seccompLocalhostAllowlist: { profiles: ['operator/**'] },
      });
      const kubelet = parseManifests(
        await helmTemplate(enabled(['--set', 'profiles.kubeletRootDir=/data/kubelet/'])),
      );
      const daemonSet = single<DaemonSet>(kubelet, 'DaemonSet');
      assert.equal(
        daemonSet.spec?.template.spec?.volumes?.find((v) => v.hostPath)?.hostPath?.path,
        '/data/kubelet/seccomp/runtime-guard',
      );
    },
  );

  test('refuses profiles the nodes could not load, at install time', { skip }, async () => {
    const base = [...TLS, '--set', 'profiles.enabled=true'];
    assert.match(
      await helmTemplateError([...base, '--set', 'profiles.files.web\\.json=nope']),
      /profiles\.files\.web\.json is not JSON/,
    );
    assert.match(
      await helmTemplateError([...base, '--set-json', 'profiles.files.web\\.json={"syscalls":[]}']),
      /profiles\.files\.web\.json is not a seccomp profile \(no defaultAction\)/,
    );
    assert.match(
      await helmTemplateError([
        ...base,
        '--set-json',
        `profiles.files.web=${JSON.stringify(PROFILE)}`,
      ]),
      /'web' does not match pattern/,
    );
    assert.match(
      await helmTemplateError([...base, '--set', 'profiles.kubeletRootDir=relative']),
      /does not match pattern/,
    );
  });

  test("the DaemonSet passes runtime-guard's own restricted policy", { skip }, async () => {
    const daemonSet = single<DaemonSet>(parseManifests(await helmTemplate(enabled())), 'DaemonSet');
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'profiles-daemonset',
        kind: { group: 'apps', version: 'v1', kind: 'DaemonSet' },
        resource: { group: 'apps', version: 'v1', resource: 'daemonsets' },
        namespace: PROFILES_NAMESPACE,
        operation: 'CREATE',
        userInfo: { username: 'admin' },
        object: daemonSet,
      },
    };
    const config = join(REPO_ROOT, 'test', 'profiles', 'testdata', 'chart', 'restricted.yaml');
    const result = await runCli(['review', '--config', config, '-'], {
      input: JSON.stringify(review),
    });
    assert.equal(result.code, 0, result.stderr);
    const response = JSON.parse(result.stdout).response;
    assert.equal(response.allowed, true, JSON.stringify(response.status));
  });

  describe('on a real kube-apiserver', () => {
    let cp: ControlPlane | undefined;

    before(async () => {
      if (skip) return;
      cp = await startControlPlane({ log: (m) => process.stderr.write(`[control-plane] ${m}\n`) });
    });

    after(async () => {
      await cp?.stop();
    });

    test(
      'server-side dry run: every profile object is valid, with no Pod Security warning',
      { skip },
      async () => {
        assert.ok(cp);
        const objects = parseManifests(await helmTemplate(enabled()));
        const namespace = single<Namespace>(objects, 'Namespace', PROFILES_NAMESPACE);
        // The namespace for real (a dry run does not create it), then its objects dry-run.
        const created = await cp.kubectl(['apply', '-f', '-'], { input: stringifyYaml(namespace) });
        assert.equal(created.code, 0, created.stderr);
        const profileObjects = objects.filter((o) => o.metadata.namespace === PROFILES_NAMESPACE);
        assert.deepEqual(profileObjects.map((o) => o.kind).sort(), ['ConfigMap', 'DaemonSet']);
        const result = await cp.kubectl(
          ['apply', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-'],
          {
            input: profileObjects.map((o) => `---\n${stringifyYaml(o)}`).join(''),
          },
        );
        assert.equal(result.code, 0, result.stderr);
        assert.doesNotMatch(result.stderr, /warning/i);
        assert.equal(result.stdout.trim().split('\n').length, 2, result.stdout);
      },
    );

    test(
      'in a restricted namespace the same DaemonSet is refused (why it has its own)',
      { skip },
      async () => {
        assert.ok(cp);
        const restricted = {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: 'profiles-restricted',
            labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
          },
        };
        const created = await cp.kubectl(['apply', '-f', '-'], {
          input: stringifyYaml(restricted),
        });
        assert.equal(created.code, 0, created.stderr);
        const daemonSet = single<DaemonSet>(
          parseManifests(await helmTemplate(enabled())),
          'DaemonSet',
        );
        // Pod Security checks pods, and only warns for a DaemonSet's template: the warning is the answer.
        const moved = {
          ...daemonSet,
          metadata: { ...daemonSet.metadata, namespace: 'profiles-restricted' },
        };
        const result = await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], {
          input: stringifyYaml(moved),
        });
        assert.match(
          result.stderr,
          /would violate PodSecurity "restricted:latest": restricted volume types \(volume "node-profiles" uses restricted volume type "hostPath"\)/,
        );
      },
    );
  });
});
