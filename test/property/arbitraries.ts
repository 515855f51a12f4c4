/** fast-check generators for pods and the workloads that carry them, including odd but valid shapes. */
import fc from 'fast-check';
import { LINUX_CAPABILITIES } from '../../src/policy/capabilities.ts';
import { CONTAINER_LISTS } from '../../src/workloads/containers.ts';
import { BUILT_IN_TEMPLATE_KINDS } from '../../src/workloads/kinds.ts';
import type { Json } from '../helpers.ts';

const capabilityNames = [...LINUX_CAPABILITIES, 'ALL'];

/** A capability in any spelling a runtime accepts, or not a capability at all. */
export const capabilityName = fc.oneof(
  fc.constantFrom(...capabilityNames),
  fc
    .tuple(fc.constantFrom(...capabilityNames), fc.boolean(), fc.boolean(), fc.boolean())
    .map(([name, lower, prefix, pad]) => {
      let s = prefix ? `CAP_${name}` : name;
      if (lower) s = s.toLowerCase();
      return pad ? ` ${s} ` : s;
    }),
  fc.string({ maxLength: 12 }),
);

const profileName = fc.stringMatching(/^[a-z0-9][a-z0-9/._-]{0,20}$/);

export const seccompProfile = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant({ type: 'RuntimeDefault' }),
  fc.constant({ type: 'Unconfined' }),
  profileName.map((p) => ({ type: 'Localhost', localhostProfile: p })),
  fc.constantFrom('Permissive', '').map((type) => ({ type })),
);

const appArmorProfile = fc.oneof(
  fc.constant(undefined),
  fc.constant({ type: 'RuntimeDefault' }),
  fc.constant({ type: 'Unconfined' }),
);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const nullable = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(arb, fc.constant(null), fc.constant(undefined));

const securityContext = nullable(
  fc.record(
    {
      privileged: nullable(fc.boolean()),
      capabilities: nullable(
        fc.record(
          {
            add: nullable(fc.array(capabilityName, { maxLength: 4 })),
            drop: nullable(fc.array(capabilityName, { maxLength: 4 })),
          },
          { requiredKeys: [] },
        ),
      ),
      seccompProfile,
      appArmorProfile,
      runAsNonRoot: optional(fc.boolean()),
    },
    { requiredKeys: [] },
  ),
);

const containerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);

const containers = fc
  .uniqueArray(
    fc.record({
      name: containerName,
      list: fc.constantFrom('containers', 'containers', 'initContainers', 'ephemeralContainers'),
      securityContext,
    }),
    {
      selector: (c) => c.name,
      minLength: 1,
      maxLength: 6,
    },
  )
  .map((all) => {
    const lists: Record<string, Json[]> = {};
    for (const { list, name, securityContext: sc } of all) {
      const container: Json = { name, image: `registry.example/${name}:1` };
      if (sc !== undefined) container.securityContext = sc;
      (lists[list] ??= []).push(container);
    }
    lists.containers ??= [{ name: 'main-container', image: 'nginx' }];
    return lists;
  });

export const podSpec = fc
  .record({
    lists: containers,
    securityContext: nullable(
      fc.record(
        { seccompProfile, appArmorProfile, runAsNonRoot: optional(fc.boolean()) },
        { requiredKeys: [] },
      ),
    ),
    os: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constant({ name: 'linux' }) },
      { weight: 1, arbitrary: fc.constant({ name: 'windows' }) },
    ),
  })
  .map(({ lists, securityContext: sc, os }) => {
    const spec: Json = { ...lists };
    if (sc !== undefined) spec.securityContext = sc;
    if (os !== undefined) spec.os = os;
    return spec;
  });

const legacyValue = fc.constantFrom(
  'runtime/default',
  'docker/default',
  'unconfined',
  'localhost/p.json',
  'localhost/',
  'bogus',
);

/** Annotations for a spec: legacy seccomp and AppArmor ones naming its containers (or ghosts), and others. */
export function annotationsFor(spec: Json): fc.Arbitrary<Record<string, string> | undefined> {
  const names = CONTAINER_LISTS.flatMap((l) =>
    ((spec[l] as Json[] | undefined) ?? []).map((c) => c.name as string),
  );
  const key = fc.oneof(
    fc.constant('seccomp.security.alpha.kubernetes.io/pod'),
    fc
      .constantFrom(...names, 'ghost')
      .map((n) => `container.seccomp.security.alpha.kubernetes.io/${n}`),
    fc
      .constantFrom(...names, 'ghost')
      .map((n) => `container.apparmor.security.beta.kubernetes.io/${n}`),
    fc.constantFrom('team', 'app.kubernetes.io/name'),
  );
  return optional(fc.dictionary(key, legacyValue, { maxKeys: 4 }));
}

/** Every kind admission reviews, from the reader's own table: Pod and each built-in template kind. */
const CARRIER_KINDS: readonly { group: string; kind: string; templatePath?: readonly string[] }[] =
  [
    { group: '', kind: 'Pod' },
    ...[...BUILT_IN_TEMPLATE_KINDS].map(([key, { templatePath }]) => {
      const [group = '', kind = ''] = key.split('/');
      return { group, kind, templatePath };
    }),
  ];

/** A Pod, or a workload carrying the pod as its template, ready for an AdmissionReview. */
export const podCarrier = podSpec.chain((spec) =>
  fc.tuple(annotationsFor(spec), fc.constantFrom(...CARRIER_KINDS)).map(([annotations, ref]) => {
    const metadata: Json = { name: 'generated' };
    if (annotations !== undefined) metadata.annotations = annotations;
    const apiVersion = ref.group === '' ? 'v1' : `${ref.group}/v1`;
    if (!ref.templatePath) return { apiVersion, kind: ref.kind, metadata, spec } as Json;
    const object: Json = { apiVersion, kind: ref.kind, metadata: { name: 'generated' } };
    let node = object;
    ref.templatePath.forEach((segment, i) => {
      const last = i === (ref.templatePath?.length ?? 0) - 1;
      node[segment] = last ? { metadata, spec } : ((node[segment] as Json | undefined) ?? {});
      node = node[segment] as Json;
    });
    return object;
  }),
);

export const preset = fc.constantFrom('baseline', 'restricted');
