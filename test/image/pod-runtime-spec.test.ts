// The kubelet's reading of a container spec that the image test relies on: command and
// arguments against the image's entrypoint, user and groups, capabilities, privilege
// escalation, read-only root, mounts, memory, and what it refuses to run more leniently.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import {
  parseQuantity,
  podRuntimeConfig,
  type ImageConfig,
  type RuntimeSpecInput,
} from './pod-runtime-spec.ts';

const IMAGE: ImageConfig = {
  User: '65532:65532',
  Env: ['PATH=/usr/bin:/bin', 'NODE_ENV=production'],
  Entrypoint: ['/nodejs/bin/node', 'bin/runtime-guard.js'],
  Cmd: ['serve'],
  WorkingDir: '/app',
};

const PROFILE = {
  defaultAction: 'SCMP_ACT_ERRNO',
  syscalls: [
    { names: ['read'], action: 'SCMP_ACT_ALLOW' },
    { names: ['chown'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_CHOWN'] } },
  ],
};

function input(container: Partial<Container>, pod: Partial<PodSpec> = {}): RuntimeSpecInput {
  return {
    image: IMAGE,
    pod: { containers: [], ...pod },
    container: { name: 'app', ...container },
    podName: 'web-1',
    rootfs: '/bundle/rootfs',
    files: {
      volumes: new Map([['config', '/host/config']]),
      etcHosts: '/host/hosts',
      etcHostname: '/host/hostname',
      resolvConf: '/host/resolv.conf',
      terminationLog: '/host/termination-log',
    },
    runtimeDefault: { profile: PROFILE, arch: 'amd64', kernel: '6.1.0' },
    kubeletEnv: { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
    cgroupsPath: '/test/app',
  };
}

describe('podRuntimeConfig', () => {
  test('args replace the image CMD, command replaces the entrypoint and CMD', () => {
    assert.deepEqual(podRuntimeConfig(input({})).process.args, [
      '/nodejs/bin/node',
      'bin/runtime-guard.js',
      'serve',
    ]);
    assert.deepEqual(podRuntimeConfig(input({ args: ['review', '-'] })).process.args, [
      '/nodejs/bin/node',
      'bin/runtime-guard.js',
      'review',
      '-',
    ]);
    assert.deepEqual(podRuntimeConfig(input({ command: ['/bin/true'] })).process.args, [
      '/bin/true',
    ]);
  });

  test('user from the security contexts, fsGroup as a supplementary group', () => {
    const config = podRuntimeConfig(
      input(
        { securityContext: { runAsUser: 1000 } },
        { securityContext: { runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000 } },
      ),
    );
    assert.deepEqual(config.process.user, { uid: 1000, gid: 3000, additionalGids: [4000] });
    assert.deepEqual(podRuntimeConfig(input({})).process.user, { uid: 65532, gid: 65532 });
  });

  test('the environment: image, HOSTNAME, the kubelet, then the container, later winning', () => {
    const { env } = podRuntimeConfig(input({ env: [{ name: 'NODE_ENV', value: 'test' }] })).process;
    assert.deepEqual(env, [
      'PATH=/usr/bin:/bin',
      'NODE_ENV=test',
      'HOSTNAME=web-1',
      'KUBERNETES_SERVICE_HOST=10.96.0.1',
    ]);
  });

  test("the chart's container context: nothing held, no escalation, read-only root, seccomp", () => {
    const config = podRuntimeConfig(
      input({
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
      }),
    );
    for (const set of Object.values(config.process.capabilities)) assert.deepEqual(set, []);
    assert.equal(config.process.noNewPrivileges, true);
    assert.equal(config.root.readonly, true);
    assert.deepEqual(
      config.linux.seccomp?.syscalls.map((s) => s.names[0]),
      ['read'],
      'the chown rule needs CAP_CHOWN, which was dropped',
    );
  });

  test('without a context: the runtime default capabilities, writable root, no seccomp', () => {
    const config = podRuntimeConfig(
      input({ securityContext: { capabilities: { add: ['NET_ADMIN'] } } }),
    );
    assert.ok(config.process.capabilities.bounding.includes('CAP_CHOWN'));
    assert.ok(config.process.capabilities.bounding.includes('CAP_NET_ADMIN'));
    assert.equal(config.process.noNewPrivileges, false);
    assert.equal(config.root.readonly, false);
    assert.equal(config.linux.seccomp, undefined);
  });

  test('volume mounts as binds, read-only when asked, after the kubelet files', () => {
    const { mounts } = podRuntimeConfig(
      input({ volumeMounts: [{ name: 'config', mountPath: '/etc/app', readOnly: true }] }),
    );
    const binds = mounts.filter((m) => m.type === 'bind');
    assert.deepEqual(
      binds.map((m) => [m.destination, m.source, m.options.at(-1)]),
      [
        ['/etc/hosts', '/host/hosts', 'rw'],
        ['/etc/hostname', '/host/hostname', 'rw'],
        ['/etc/resolv.conf', '/host/resolv.conf', 'rw'],
        ['/dev/termination-log', '/host/termination-log', 'rw'],
        ['/etc/app', '/host/config', 'ro'],
      ],
    );
  });

  test('the memory limit, in bytes', () => {
    const config = podRuntimeConfig(input({ resources: { limits: { memory: '256Mi' } } }));
    assert.equal(config.linux.resources.memory?.limit, 256 * 1024 * 1024);
    assert.equal(parseQuantity('1.5Gi', 'bytes'), 1.5 * 1024 ** 3);
    assert.equal(parseQuantity('250m', 'millicores'), 250);
    assert.equal(parseQuantity('2', 'millicores'), 2000);
    assert.throws(() => parseQuantity('12Q', 'bytes'), /unsupported quantity suffix/);
  });

  test('refuses what it cannot run as a cluster would', () => {
    assert.throws(
      () =>
        podRuntimeConfig(
          input({ securityContext: { runAsNonRoot: true } }, { securityContext: { runAsUser: 0 } }),
        ),
      /runAsNonRoot/,
    );
    assert.throws(
      () => podRuntimeConfig(input({ securityContext: { privileged: true } })),
      /privileged/,
    );
    assert.throws(
      () => podRuntimeConfig(input({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })),
      /no host directory for volume data/,
    );
    assert.throws(
      () =>
        podRuntimeConfig(
          input({
            securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'x' } },
          }),
        ),
      /Localhost is not supported/,
    );
  });
});
