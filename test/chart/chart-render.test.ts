// What `helm template` makes of charts/runtime-guard: the webhook configurations (and the
// contract the end-to-end tests rely on), the workload, TLS in both modes, and the refusals.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type {
  MutatingWebhookConfiguration,
  RuleWithOperations,
  ValidatingWebhookConfiguration,
} from 'kubernetes-types/admissionregistration/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import {
  BUILD_TIMEOUT_MS,
  CHART,
  ensureTools,
  FAKE_CA_BUNDLE,
  helm,
  helmTemplate,
  helmTemplateError,
  NAMESPACE,
  parseManifests,
  RELEASE,
  single,
  skip,
  type Manifest,
} from './helm.ts';

const FULLNAME = `${RELEASE}-runtime-guard`;
const CERT_MANAGER_KINDS = ['Certificate', 'Issuer'];

/** kubernetes-types drops the fields RuleWithOperations embeds from Rule. */
type WebhookRule = RuleWithOperations & { resources?: string[]; scope?: string };

/** The rules both webhooks must carry: every kind with a pod spec, CREATE and UPDATE. */
const POD_RULES: WebhookRule[] = [
  {
    operations: ['CREATE', 'UPDATE'],
    apiGroups: [''],
    apiVersions: ['v1'],
    resources: ['pods', 'pods/ephemeralcontainers', 'podtemplates', 'replicationcontrollers'],
    scope: 'Namespaced',
  },
  {
    operations: ['CREATE', 'UPDATE'],
    apiGroups: ['apps'],
    apiVersions: ['v1'],
    resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
    scope: 'Namespaced',
  },
  {
    operations: ['CREATE', 'UPDATE'],
    apiGroups: ['batch'],
    apiVersions: ['v1'],
    resources: ['jobs', 'cronjobs'],
    scope: 'Namespaced',
  },
];

/** The end-to-end tests' contract: webhooks only, pointing at a URL with a CA bundle. */
const E2E_URL = 'https://127.0.0.1:18443';
const e2eArgs = (...extra: string[]): string[] => [
  '--set',
  `webhook.url=${E2E_URL}`,
  '--set-string',
  `webhook.caBundle=${FAKE_CA_BUNDLE}`,
  '--show-only',
  'templates/webhooks.yaml',
  ...extra,
];

const EXISTING_SECRET_ARGS = [
  '--set',
  'certManager.enabled=false',
  '--set',
  'tls.existingSecret=my-webhook-tls',
  '--set-string',
  `tls.caBundle=${FAKE_CA_BUNDLE}`,
];

interface Webhooks {
  validating: ValidatingWebhookConfiguration;
  mutating: MutatingWebhookConfiguration | undefined;
  objects: Manifest[];
}

async function renderWebhooks(args: string[] = []): Promise<Webhooks> {
  const objects = parseManifests(await helmTemplate(args));
  const mutating = objects.filter((o) => o.kind === 'MutatingWebhookConfiguration');
  assert.ok(mutating.length <= 1, 'at most one MutatingWebhookConfiguration');
  return {
    validating: single(objects, 'ValidatingWebhookConfiguration'),
    mutating: mutating[0] as MutatingWebhookConfiguration | undefined,
    objects,
  };
}

function onlyWebhook<T>(config: { webhooks?: T[] }): T {
  assert.equal(config.webhooks?.length, 1, 'one webhook per configuration');
  return config.webhooks[0] as T;
}

function container(deployment: Deployment): Container {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  assert.equal(containers.length, 1);
  return containers[0] as Container;
}

describe('helm chart: rendering', { timeout: BUILD_TIMEOUT_MS }, () => {
  before(async () => {
    if (!skip) await ensureTools();
  });

  test('helm lint --strict passes in every TLS mode', { skip }, async () => {
    for (const args of [[], EXISTING_SECRET_ARGS, e2eArgs().slice(0, 4)]) {
      const result = await helm(['lint', '--strict', CHART, ...args]);
      assert.equal(
        result.code,
        0,
        `helm lint ${args.join(' ')}:\n${result.stdout}${result.stderr}`,
      );
    }
  });

  test('the defaults render the whole installation, each object once', { skip }, async () => {
    const objects = parseManifests(await helmTemplate());
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(names, [
      `Certificate/${FULLNAME}-ca`,
      `Certificate/${FULLNAME}-tls`,
      `ClusterRole/${FULLNAME}`,
      `ClusterRoleBinding/${FULLNAME}`,
      `ConfigMap/${FULLNAME}`,
      `Deployment/${FULLNAME}`,
      `Issuer/${FULLNAME}-ca`,
      `Issuer/${FULLNAME}-selfsigned`,
      `MutatingWebhookConfiguration/${FULLNAME}`,
      `PodDisruptionBudget/${FULLNAME}`,
      `Service/${FULLNAME}`,
      `ServiceAccount/${FULLNAME}`,
      `ValidatingWebhookConfiguration/${FULLNAME}`,
    ]);
    const clusterScoped = new Set([
      'ClusterRole',
      'ClusterRoleBinding',
      'MutatingWebhookConfiguration',
      'ValidatingWebhookConfiguration',
    ]);
    for (const o of objects) {
      assert.equal(
        o.metadata.namespace,
        clusterScoped.has(o.kind) ? undefined : NAMESPACE,
        `${o.kind} namespace`,
      );
      assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], RELEASE);
    }
  });

  test('both webhooks: kinds, operations, scope, versions, side effects', { skip }, async () => {
    const { validating, mutating } = await renderWebhooks();
    assert.ok(mutating, 'the mutating webhook is on by default');
    for (const webhook of [onlyWebhook(validating), onlyWebhook(mutating)]) {
      assert.deepEqual(webhook.rules, POD_RULES);
      assert.equal(webhook.sideEffects, 'None');
      assert.deepEqual(webhook.admissionReviewVersions, ['v1', 'v1beta1']);
      assert.equal(webhook.timeoutSeconds, 10);
      assert.equal(webhook.matchPolicy, 'Equivalent');
      assert.equal(webhook.objectSelector, undefined);
      assert.deepEqual(webhook.namespaceSelector, {
        matchExpressions: [
          {
            key: 'kubernetes.io/metadata.name',
            operator: 'NotIn',
            values: [NAMESPACE, 'kube-system'],
          },
        ],
      });
    }
    assert.equal(onlyWebhook(validating).name, 'validate.runtime-guard.io');
    assert.equal(onlyWebhook(mutating).name, 'mutate.runtime-guard.io');
  });

  test(
    'validation is the gate (Fail); mutation is a convenience (Ignore, IfNeeded)',
    { skip },
    async () => {
      const { validating, mutating } = await renderWebhooks();
      assert.ok(mutating);
      assert.equal(onlyWebhook(validating).failurePolicy, 'Fail');
      assert.equal(onlyWebhook(mutating).failurePolicy, 'Ignore');
      assert.equal(onlyWebhook(mutating).reinvocationPolicy, 'IfNeeded');
    },
  );

  test(
    'by default the webhooks call the Service, and cert-manager injects the CA',
    { skip },
    async () => {
      const { validating, mutating } = await renderWebhooks();
      assert.ok(mutating);
      for (const [config, path] of [
        [validating, '/validate'],
        [mutating, '/mutate'],
      ] as const) {
        assert.deepEqual(onlyWebhook(config).clientConfig, {
          service: { name: FULLNAME, namespace: NAMESPACE, path, port: 443 },
        });
        assert.equal(
          config.metadata?.annotations?.['cert-manager.io/inject-ca-from'],
          `${NAMESPACE}/${FULLNAME}-tls`,
        );
      }
    },
  );

  test('e2e contract: webhook.url and webhook.caBundle replace the Service', { skip }, async () => {
    const { validating, mutating, objects } = await renderWebhooks(e2eArgs());
    assert.deepEqual(
      objects.map((o) => o.kind).sort(),
      ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
      '--show-only templates/webhooks.yaml renders the two configurations',
    );
    assert.ok(mutating);
    assert.deepEqual(onlyWebhook(validating).clientConfig, {
      url: `${E2E_URL}/validate`,
      caBundle: FAKE_CA_BUNDLE,
    });
    assert.deepEqual(onlyWebhook(mutating).clientConfig, {
      url: `${E2E_URL}/mutate`,
      caBundle: FAKE_CA_BUNDLE,
    });
    for (const config of [validating, mutating]) {
      assert.equal(
        config.metadata?.annotations?.['cert-manager.io/inject-ca-from'],
        undefined,
        'cert-manager would overwrite the given caBundle',
      );
    }
    assert.equal(onlyWebhook(validating).failurePolicy, 'Fail');
    assert.equal(onlyWebhook(mutating).failurePolicy, 'Ignore');
  });

  test('e2e contract: the failure policies switch with values', { skip }, async () => {
    const { validating, mutating } = await renderWebhooks(
      e2eArgs(
        '--set',
        'webhook.validating.failurePolicy=Ignore',
        '--set',
        'webhook.mutating.failurePolicy=Fail',
      ),
    );
    assert.ok(mutating);
    assert.equal(onlyWebhook(validating).failurePolicy, 'Ignore');
    assert.equal(onlyWebhook(mutating).failurePolicy, 'Fail');
    assert.match(
      await helmTemplateError(e2eArgs('--set', 'webhook.validating.failurePolicy=fail')),
      /failurePolicy/,
    );
  });

  test('a URL with a trailing slash still yields /validate and /mutate', { skip }, async () => {
    const { validating } = await renderWebhooks([
      ...e2eArgs().slice(0, 4),
      '--set',
      `webhook.url=${E2E_URL}/`,
    ]);
    assert.equal(onlyWebhook(validating).clientConfig.url, `${E2E_URL}/validate`);
  });

  test('extraKinds reach the rules of both webhooks', { skip }, async () => {
    const { validating, mutating } = await renderWebhooks([
      '--set',
      'config.extraKinds[0].group=argoproj.io',
      '--set',
      'config.extraKinds[0].kind=Rollout',
      '--set',
      'config.extraKinds[0].resource=rollouts',
      '--set',
      'config.extraKinds[0].podTemplatePath=spec.template',
      '--set',
      'config.extraKinds[1].group=example.com',
      '--set',
      'config.extraKinds[1].kind=Runner',
      '--set',
      'config.extraKinds[1].resource=runners',
      '--set',
      'config.extraKinds[1].podTemplatePath=spec.pod.template',
      '--set',
      'config.extraKinds[1].apiVersions={v1beta2}',
    ]);
    assert.ok(mutating);
    for (const webhook of [onlyWebhook(validating), onlyWebhook(mutating)]) {
      assert.deepEqual(webhook.rules, [
        ...POD_RULES,
        {
          operations: ['CREATE', 'UPDATE'],
          apiGroups: ['argoproj.io'],
          apiVersions: ['*'],
          resources: ['rollouts'],
          scope: 'Namespaced',
        },
        {
          operations: ['CREATE', 'UPDATE'],
          apiGroups: ['example.com'],
          apiVersions: ['v1beta2'],
          resources: ['runners'],
          scope: 'Namespaced',
        },
      ]);
    }
  });

  test('selectors and the mutating switch are values', { skip }, async () => {
    const { validating, mutating } = await renderWebhooks([
      '--set-json',
      'webhook.excludeNamespaces=[]',
      '--set',
      'webhook.namespaceSelectorExpressions[0].key=team',
      '--set',
      'webhook.namespaceSelectorExpressions[0].operator=Exists',
      '--set',
      'webhook.objectSelector.matchLabels.guarded=yes',
      '--set',
      'webhook.timeoutSeconds=5',
      '--set',
      'webhook.mutating.enabled=false',
    ]);
    assert.equal(mutating, undefined);
    const webhook = onlyWebhook(validating);
    assert.deepEqual(webhook.namespaceSelector, {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [NAMESPACE] },
        { key: 'team', operator: 'Exists' },
      ],
    });
    assert.deepEqual(webhook.objectSelector, { matchLabels: { guarded: 'yes' } });
    assert.equal(webhook.timeoutSeconds, 5);
  });

  test('the webhook pods are restricted, probed over HTTPS and spread', { skip }, async () => {
    const objects = parseManifests(await helmTemplate());
    const deployment = single<Deployment>(objects, 'Deployment');
    const pod = deployment.spec?.template.spec;
    assert.ok(pod);
    assert.equal(deployment.spec?.replicas, 2);
    assert.deepEqual(deployment.spec?.strategy?.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = container(deployment);
    assert.deepEqual(c.securityContext, {
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(c.args, ['serve', '--config', '/etc/runtime-guard/config.yaml']);
    assert.equal(c.image, 'runtime-guard:0.1.0');
    assert.deepEqual(c.ports, [{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    assert.deepEqual(c.livenessProbe?.httpGet, {
      path: '/healthz',
      port: 'https',
      scheme: 'HTTPS',
    });
    assert.deepEqual(c.readinessProbe?.httpGet, {
      path: '/readyz',
      port: 'https',
      scheme: 'HTTPS',
    });
    assert.ok(c.resources?.requests?.['cpu'] && c.resources.requests['memory']);
    assert.ok(c.resources?.limits?.['memory']);
    assert.equal(pod.priorityClassName, undefined);
    assert.equal(pod.serviceAccountName, FULLNAME);
    assert.equal(pod.automountServiceAccountToken, true, 'the namespace informer needs it');
    const antiAffinity =
      pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    assert.equal(antiAffinity?.[0]?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    assert.equal(
      pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      undefined,
    );

    // The configuration and the certificate share one projected volume at /etc/runtime-guard.
    assert.deepEqual(
      c.volumeMounts?.map((m) => [m.name, m.mountPath, m.readOnly ?? false]),
      [
        ['config', '/etc/runtime-guard', true],
        ['tmp', '/tmp', false],
      ],
    );
    const sources = pod.volumes?.find((v) => v.name === 'config')?.projected?.sources;
    assert.deepEqual(sources?.[0]?.configMap, {
      name: FULLNAME,
      items: [{ key: 'config.yaml', path: 'config.yaml' }],
    });
    assert.deepEqual(sources?.[1]?.secret, {
      name: `${FULLNAME}-tls`,
      items: [
        { key: 'tls.crt', path: 'tls/tls.crt' },
        { key: 'tls.key', path: 'tls/tls.key' },
      ],
    });

    const pdb = single<PodDisruptionBudget>(objects, 'PodDisruptionBudget');
    assert.equal(pdb.spec?.minAvailable, 1);
    assert.deepEqual(pdb.spec?.selector?.matchLabels, deployment.spec?.selector.matchLabels);

    const service = single<Service>(objects, 'Service');
    assert.deepEqual(service.spec?.ports, [
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
    ]);
    assert.deepEqual(service.spec?.selector, deployment.spec?.selector.matchLabels);
    assert.equal(single<ServiceAccount>(objects, 'ServiceAccount').metadata?.name, FULLNAME);
  });

  test('priorityClassName, a single replica and an image digest', { skip }, async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const objects = parseManifests(
      await helmTemplate([
        '--set',
        'priorityClassName=system-cluster-critical',
        '--set',
        'replicaCount=1',
        '--set',
        `image.digest=${digest}`,
      ]),
    );
    const deployment = single<Deployment>(objects, 'Deployment');
    assert.equal(deployment.spec?.template.spec?.priorityClassName, 'system-cluster-critical');
    assert.equal(container(deployment).image, `runtime-guard@${digest}`);
    assert.equal(
      objects.filter((o) => o.kind === 'PodDisruptionBudget').length,
      0,
      'a PDB of one replica would block every node drain',
    );
  });

  test('RBAC: read-only namespaces for the mode label, or nothing', { skip }, async () => {
    const objects = parseManifests(await helmTemplate());
    const role = single<ClusterRole>(objects, 'ClusterRole');
    assert.deepEqual(role.rules, [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = single<ClusterRoleBinding>(objects, 'ClusterRoleBinding');
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: FULLNAME,
    });
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE },
    ]);

    const without = parseManifests(
      await helmTemplate(['--set', 'config.server.namespaceModes.enabled=false']),
    );
    assert.equal(without.filter((o) => o.kind.startsWith('ClusterRole')).length, 0);
    const deployment = single<Deployment>(without, 'Deployment');
    assert.equal(deployment.spec?.template.spec?.automountServiceAccountToken, false);
  });

  test(
    'cert-manager mode: a self-signed CA signs a certificate for the Service',
    { skip },
    async () => {
      const objects = parseManifests(await helmTemplate());
      type Cert = Manifest & {
        spec: {
          isCA?: boolean;
          secretName: string;
          dnsNames?: string[];
          usages?: string[];
          issuerRef: { group?: string; kind: string; name: string };
          privateKey?: { rotationPolicy?: string };
        };
      };
      type Issuer = Manifest & { spec: { selfSigned?: object; ca?: { secretName: string } } };
      for (const o of objects.filter((x) => CERT_MANAGER_KINDS.includes(x.kind))) {
        assert.equal(o.apiVersion, 'cert-manager.io/v1', `${o.kind}/${o.metadata.name}`);
      }
      const selfSigned = single<Issuer>(objects, 'Issuer', `${FULLNAME}-selfsigned`);
      assert.deepEqual(selfSigned.spec, { selfSigned: {} });
      const ca = single<Cert>(objects, 'Certificate', `${FULLNAME}-ca`);
      assert.equal(ca.spec.isCA, true);
      assert.deepEqual(ca.spec.issuerRef, {
        group: 'cert-manager.io',
        kind: 'Issuer',
        name: `${FULLNAME}-selfsigned`,
      });
      const caIssuer = single<Issuer>(objects, 'Issuer', `${FULLNAME}-ca`);
      assert.deepEqual(caIssuer.spec, { ca: { secretName: ca.spec.secretName } });

      const serving = single<Cert>(objects, 'Certificate', `${FULLNAME}-tls`);
      assert.equal(serving.spec.isCA, undefined);
      assert.equal(serving.spec.secretName, `${FULLNAME}-tls`);
      assert.deepEqual(serving.spec.issuerRef, {
        group: 'cert-manager.io',
        kind: 'Issuer',
        name: `${FULLNAME}-ca`,
      });
      assert.deepEqual(serving.spec.dnsNames, [
        FULLNAME,
        `${FULLNAME}.${NAMESPACE}`,
        `${FULLNAME}.${NAMESPACE}.svc`,
        `${FULLNAME}.${NAMESPACE}.svc.cluster.local`,
      ]);
      assert.ok(serving.spec.usages?.includes('server auth'));
      assert.equal(serving.spec.privateKey?.rotationPolicy, 'Always');

      // The injector reads the CA from the serving Certificate the pods mount.
      const { validating } = await renderWebhooks();
      const [injectNamespace, injectName] =
        validating.metadata?.annotations?.['cert-manager.io/inject-ca-from']?.split('/') ?? [];
      assert.equal(injectNamespace, serving.metadata.namespace);
      assert.equal(injectName, serving.metadata.name);
      const deployment = single<Deployment>(objects, 'Deployment');
      const mounted = deployment.spec?.template.spec?.volumes
        ?.flatMap((v) => v.projected?.sources ?? [])
        .find((s) => s.secret)?.secret?.name;
      assert.equal(mounted, serving.spec.secretName);
    },
  );

  test('cert-manager mode with an issuer of your own', { skip }, async () => {
    const objects = parseManifests(
      await helmTemplate([
        '--set',
        'certManager.issuerRef.kind=ClusterIssuer',
        '--set',
        'certManager.issuerRef.name=corp-ca',
        '--set',
        'certManager.issuerRef.group=cert-manager.io',
      ]),
    );
    assert.equal(objects.filter((o) => o.kind === 'Issuer').length, 0);
    const serving = single<Manifest & { spec: { issuerRef: object } }>(objects, 'Certificate');
    assert.deepEqual(serving.spec.issuerRef, {
      kind: 'ClusterIssuer',
      name: 'corp-ca',
      group: 'cert-manager.io',
    });
  });

  test('existing Secret mode: no cert-manager, the given CA bundle', { skip }, async () => {
    const { validating, mutating, objects } = await renderWebhooks(EXISTING_SECRET_ARGS);
    assert.deepEqual(
      objects.filter((o) => CERT_MANAGER_KINDS.includes(o.kind)),
      [],
      'no cert-manager objects',
    );
    assert.ok(mutating);
    for (const [config, path] of [
      [validating, '/validate'],
      [mutating, '/mutate'],
    ] as const) {
      assert.deepEqual(onlyWebhook(config).clientConfig, {
        service: { name: FULLNAME, namespace: NAMESPACE, path, port: 443 },
        caBundle: FAKE_CA_BUNDLE,
      });
      assert.equal(config.metadata?.annotations, undefined);
    }
    const deployment = single<Deployment>(objects, 'Deployment');
    const secret = deployment.spec?.template.spec?.volumes
      ?.flatMap((v) => v.projected?.sources ?? [])
      .find((s) => s.secret)?.secret;
    assert.equal(secret?.name, 'my-webhook-tls');
  });

  test('refuses TLS setups that cannot work, saying what to set', { skip }, async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'certManager.enabled=false'], /no serving certificate: set certManager\.enabled/],
      [
        ['--set', 'tls.existingSecret=x'],
        /set certManager\.enabled=false to use tls\.existingSecret/,
      ],
      [
        ['--set', 'certManager.enabled=false', '--set', 'tls.existingSecret=x'],
        /tls\.existingSecret needs tls\.caBundle/,
      ],
      [
        EXISTING_SECRET_ARGS.slice(0, 4).concat(['--set-string', 'tls.caBundle=bm90IGEgY2VydA==']),
        /tls\.caBundle must be base64 of PEM certificates/,
      ],
      [['--set', 'webhook.url=http://127.0.0.1:8443'], /webhook\/url/],
    ];
    for (const [args, message] of cases) {
      assert.match(await helmTemplateError(args), message, args.join(' '));
    }
    // --show-only of the webhooks alone still checks.
    assert.match(
      await helmTemplateError([
        '--set',
        'certManager.enabled=false',
        '--show-only',
        'templates/webhooks.yaml',
      ]),
      /no serving certificate/,
    );
  });

  test('values.schema.json refuses misspelt and invalid options', { skip }, async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'config.preset=strict'], /config\/preset/],
      [['--set', 'config.mode=deny'], /config\/mode/],
      [['--set', 'config.rules.seccompRequred.enabled=false'], /seccompRequred/],
      [['--set', 'config.mutation.dropCapabilites.enabled=false'], /dropCapabilites/],
      [['--set', 'webhok.url=https://x'], /webhok/],
      [['--set', 'config.extraKinds[0].group=argoproj.io'], /resource/],
      [['--set', 'webhook.timeoutSeconds=31'], /timeoutSeconds/],
    ];
    for (const [args, message] of cases) {
      assert.match(await helmTemplateError(args), message, args.join(' '));
    }
  });
});
