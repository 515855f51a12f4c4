// The image a cluster admin deploys, built from the Dockerfile (scripts/image/build.sh) and run
// with runc as the kubelet would run the chart's pod: the chart's security contexts (read-only
// root filesystem, uid/gid 65532 with fsGroup, no privilege escalation, no capabilities, the
// runtime's default seccomp profile), its memory limit, and its volumes laid out as the kubelet
// lays them out (`..data` links, mode 0440, group fsGroup). The pod runs without a cluster:
// namespace modes are off and its network namespace has only a loopback, reached from the
// test through a unix socket.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { arch, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Container as PodContainer } from 'kubernetes-types/core/v1.js';
import { parse as parseYaml } from 'yaml';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
} from '../../src/server/dev-certificate.ts';
import { runProgram } from '../build-scripts.ts';
import { REPO_ROOT } from '../chart/helm.ts';
import {
  buildImage,
  IMAGE_BUILD_TIMEOUT_MS,
  imageTestsSkip,
  renderChart,
  RUNTIME_DEFAULT_PROFILE,
  type RenderedChart,
} from './image-harness.ts';
import { writeProjectedVolume } from './kubelet-volume.ts';
import {
  podRuntimeConfig,
  parseQuantity,
  type OciRuntimeConfig,
  type PodHostFiles,
} from './pod-runtime-spec.ts';
import {
  Container,
  createMountpoints,
  snapshotTree,
  treeChanges,
  unpackImage,
  type UnpackedImage,
} from './runc-container.ts';
import { goArch, type ContainersSeccompProfile } from './seccomp-profile.ts';

const gate = await imageTestsSkip().then(
  (skip) => ({ skip, error: undefined }),
  (error: unknown) => ({ skip: false as const, error }),
);

const SAMPLE_REVIEW = join(REPO_ROOT, 'examples', 'admission-review-pod.json');
const POD_NAME = 'rg-runtime-guard-6d5f7c9b8-x2k4q';
/** What the kubelet adds to every container's environment (the `kubernetes` Service). */
const KUBELET_ENV = {
  KUBERNETES_SERVICE_HOST: '10.96.0.1',
  KUBERNETES_SERVICE_PORT: '443',
  KUBERNETES_SERVICE_PORT_HTTPS: '443',
  KUBERNETES_PORT: 'tcp://10.96.0.1:443',
};
const USAGE_FILE = join(REPO_ROOT, 'src', 'cli', 'main.ts');

interface Reply {
  status: number;
  body: string;
  certificate: PeerCertificate;
}

interface ServerSettings {
  port: number;
  drainSeconds: number;
  timeoutSeconds: number;
  certFile: string;
}

function serverSettings(configYaml: string): ServerSettings {
  const server = (
    parseYaml(configYaml) as {
      server: {
        port: number;
        shutdown: { drainSeconds: number; timeoutSeconds: number };
        tls: { certFile: string };
      };
    }
  ).server;
  return {
    port: server.port,
    drainSeconds: server.shutdown.drainSeconds,
    timeoutSeconds: server.shutdown.timeoutSeconds,
    certFile: server.tls.certFile,
  };
}

/** The subcommands runtime-guard's usage lists (src/cli/main.ts). */
async function listedCommands(): Promise<Set<string>> {
  const source = await readFile(USAGE_FILE, 'utf8');
  const usage = /const USAGE = `([^`]*)`/.exec(source)?.[1] ?? '';
  return new Set([...usage.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1] ?? ''));
}

describe('the image, run with runc as the chart runs the pod', { skip: gate.skip }, () => {
  let work: string;
  let chart: RenderedChart;
  let image: UnpackedImage;
  let settings: ServerSettings;
  let authority: CertificateAuthority;
  let files: PodHostFiles;
  let configVolume: string;
  let tmpVolume: string;
  let rootfsBefore: Map<string, string>;
  let serving: Container | undefined;
  let door: string;
  const extraContainers: Container[] = [];

  const runtimeConfig = (container: PodContainer): Promise<OciRuntimeConfig> =>
    readFile(RUNTIME_DEFAULT_PROFILE, 'utf8').then((text) =>
      podRuntimeConfig({
        image: image.config,
        pod: chart.pod,
        container,
        podName: POD_NAME,
        rootfs: image.rootfs,
        files,
        runtimeDefault: {
          profile: JSON.parse(text) as ContainersSeccompProfile,
          arch: goArch(arch()),
          kernel: release(),
        },
        kubeletEnv: KUBELET_ENV,
        cgroupsPath: `/runtime-guard-image-test-${process.pid}-${container.name}`,
      }),
    );

  const servingName = () => chart.dnsNames.find((name) => name.endsWith('.svc')) ?? '';

  function https(path: string, options: { method?: string; body?: string } = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: door,
          path,
          method: options.method ?? 'GET',
          headers: {
            host: servingName(),
            ...(options.body ? { 'content-type': 'application/json' } : {}),
          },
          ca: authority.cert,
          servername: servingName(),
          agent: false,
          timeout: 10_000,
        },
        (res) => {
          const certificate = (res.socket as TLSSocket).getPeerCertificate();
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, certificate }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 10 s`)));
      req.on('error', reject);
      req.end(options.body);
    });
  }

  function running(): Container {
    if (!serving) assert.fail('the serving container did not start (see the first test)');
    return serving;
  }

  /** Polls until `check` holds, the container ends, or `ms` pass; resolves with the time taken. */
  async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<number> {
    const start = performance.now();
    let exited = false;
    void running().exited.then(() => (exited = true));
    for (;;) {
      if (await check().catch(() => false)) return performance.now() - start;
      if (exited) assert.fail(`the container exited before ${what}:\n${running().stderr}`);
      if (performance.now() - start > ms) assert.fail(`no ${what} within ${ms} ms`);
      await sleep(25);
    }
  }

  async function writeSecretAndConfig(certificate: { cert: string; key: string }): Promise<void> {
    const volume = chart.pod.volumes?.find((v) => v.name === 'config')?.projected;
    assert.ok(volume, 'the chart mounts a projected volume named config');
    const data: Record<string, Record<string, string>> = {
      configMap: { 'config.yaml': chart.configYaml },
      secret: { 'tls.crt': certificate.cert, 'tls.key': certificate.key },
    };
    const projected: Record<string, string> = {};
    for (const source of volume.sources ?? []) {
      const kind = source.configMap ? 'configMap' : source.secret ? 'secret' : undefined;
      const items = source.configMap?.items ?? source.secret?.items ?? [];
      assert.ok(kind, 'the projected volume holds only a ConfigMap and a Secret');
      for (const item of items) {
        const value = data[kind]?.[item.key];
        assert.ok(value !== undefined, `${kind} key ${item.key}`);
        projected[item.path] = value;
      }
    }
    await writeProjectedVolume(configVolume, projected, {
      mode: volume.defaultMode ?? 0o644,
      fsGroup: chart.pod.securityContext?.fsGroup ?? 0,
    });
  }

  before(
    async () => {
      if (gate.error) throw gate.error;
      const built = await buildImage();
      chart = await renderChart();
      settings = serverSettings(chart.configYaml);
      work = await mkdtemp(join(tmpdir(), 'rg-image-'));
      image = await unpackImage(built.archive, built.ref, join(work, 'image'));

      authority = await createCertificateAuthority('runtime-guard image test CA');
      configVolume = join(work, 'volumes', 'config');
      await writeSecretAndConfig(
        await issueCertificate(authority, { commonName: servingName(), dns: chart.dnsNames }),
      );
      // An emptyDir: world-writable, group fsGroup.
      tmpVolume = join(work, 'volumes', 'tmp');
      await mkdir(tmpVolume, { recursive: true });
      await chown(tmpVolume, 0, chart.pod.securityContext?.fsGroup ?? 0);
      await chmod(tmpVolume, 0o2777);

      const kubelet = join(work, 'kubelet');
      await mkdir(kubelet);
      files = {
        volumes: new Map([
          ['config', configVolume],
          ['tmp', tmpVolume],
        ]),
        etcHosts: join(kubelet, 'etc-hosts'),
        etcHostname: join(kubelet, 'hostname'),
        resolvConf: join(kubelet, 'resolv.conf'),
        terminationLog: join(kubelet, 'termination-log'),
      };
      await writeFile(files.etcHosts, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n');
      await writeFile(files.etcHostname, `${POD_NAME}\n`);
      await writeFile(
        files.resolvConf,
        'search runtime-guard.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
      );
      await writeFile(files.terminationLog, '');
      await chmod(files.terminationLog, 0o666);
      door = join(work, 'door.sock');

      await createMountpoints(image.rootfs, (await runtimeConfig(chart.container)).mounts);
      rootfsBefore = await snapshotTree(image.rootfs);
    },
    { timeout: IMAGE_BUILD_TIMEOUT_MS },
  );

  after(async () => {
    for (const container of [serving, ...extraContainers]) await container?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('the image and the chart agree on user, entrypoint, port and paths', async () => {
    const { config } = image;
    const podContext = chart.pod.securityContext ?? {};
    assert.equal(
      config.User,
      `${podContext.runAsUser}:${podContext.runAsGroup}`,
      "the chart's runAsUser:runAsGroup is the image's own user",
    );
    const entrypoint = config.Entrypoint ?? [];
    const program = entrypoint[0] ?? '';
    const stat = await runProgram('stat', ['-c', '%a %u', join(image.rootfs, program)]);
    assert.equal(stat.code, 0, `the entrypoint ${program} exists in the image`);
    const script = entrypoint.at(-1) ?? '';
    assert.equal(
      (await runProgram('test', ['-f', join(image.rootfs, config.WorkingDir ?? '/', script)])).code,
      0,
      `${script} exists in the working directory ${config.WorkingDir}`,
    );
    assert.equal(chart.container.command, undefined, 'the chart keeps the entrypoint');
    assert.equal(chart.container.args?.[0], config.Cmd?.[0], 'the chart runs the same command');

    const port = chart.container.ports?.find((p) => p.name === 'https')?.containerPort;
    assert.equal(port, settings.port, "the container port is the server's port");
    assert.ok(config.ExposedPorts?.[`${port}/tcp`], `the image exposes ${port}/tcp`);

    const configFlag = chart.container.args?.indexOf('--config') ?? -1;
    const configPath = chart.container.args?.[configFlag + 1] ?? '';
    const mountPath = chart.container.volumeMounts?.find((m) => m.name === 'config')?.mountPath;
    assert.ok(mountPath && configPath.startsWith(`${mountPath}/`), `${configPath} is in the mount`);
    assert.ok(
      settings.certFile.startsWith(`${mountPath}/`),
      `${settings.certFile} is in the mount`,
    );

    for (const shell of ['bin/sh', 'bin/bash', 'bin/dash', 'usr/bin/sh', 'busybox']) {
      const present = await runProgram('test', ['-e', join(image.rootfs, shell)]);
      assert.notEqual(present.code, 0, `the image has no shell (${shell})`);
    }
  });

  test('starts and answers /healthz and /readyz over TLS with the mounted certificate', async (t) => {
    const started = performance.now();
    serving = await Container.run(
      `rg-image-test-${process.pid}-serve`,
      join(work, 'bundles', 'serve'),
      await runtimeConfig(chart.container),
    );
    await serving.openDoor(door, settings.port);
    const readyPath = chart.container.readinessProbe?.httpGet?.path ?? '';
    const livePath = chart.container.livenessProbe?.httpGet?.path ?? '';
    await waitFor('ready', async () => (await https(readyPath)).status === 200, 60_000);
    const readyMs = performance.now() - started;
    t.diagnostic(
      `start to ready: ${readyMs.toFixed(0)} ms (runc run to the first 200 on ${readyPath})`,
    );
    process.stderr.write(`[image test] start to ready: ${readyMs.toFixed(0)} ms\n`);

    const live = await https(livePath);
    assert.equal(live.status, 200, `${livePath}: ${live.body}`);
    const ready = await https(readyPath);
    assert.equal(ready.status, 200, `${readyPath}: ${ready.body}`);
    assert.ok(
      ready.certificate.subjectaltname?.includes(`DNS:${servingName()}`),
      'the certificate from the mounted Secret',
    );
  });

  test('answers a review exactly as `runtime-guard review` does', async () => {
    running();
    const configFile = join(work, 'config.yaml');
    await writeFile(configFile, chart.configYaml);
    const body = await readFile(SAMPLE_REVIEW, 'utf8');
    for (const [endpoint, flags] of [
      ['/validate', []],
      ['/mutate', ['--mutate']],
    ] as const) {
      const offline = await runProgram(process.execPath, [
        join(REPO_ROOT, 'src', 'cli', 'main.ts'),
        'review',
        '--config',
        configFile,
        ...flags,
        SAMPLE_REVIEW,
      ]);
      assert.equal(offline.code, 0, offline.stderr);
      const reply = await https(endpoint, { method: 'POST', body });
      assert.equal(reply.status, 200, reply.body);
      assert.deepEqual(JSON.parse(reply.body), JSON.parse(offline.stdout), endpoint);
    }
  });

  test('uses less memory at idle than the chart allows', async (t) => {
    const container = running();
    // Let the reviews' garbage and the log batches settle.
    await sleep(3000);
    const rss = await container.residentBytes();
    const limit = parseQuantity(chart.container.resources?.limits?.['memory'] ?? '0', 'bytes');
    t.diagnostic(`idle RSS: ${(rss / 2 ** 20).toFixed(1)} MiB (limit ${limit / 2 ** 20} MiB)`);
    process.stderr.write(`[image test] idle RSS: ${(rss / 2 ** 20).toFixed(1)} MiB\n`);
    assert.ok(limit > 0, 'the chart sets a memory limit');
    assert.ok(rss < limit, 'idle RSS under the memory limit');
  });

  test('serves the new certificate after the kubelet swaps ..data', async () => {
    running();
    const renewed = await issueCertificate(authority, {
      commonName: servingName(),
      dns: chart.dnsNames,
    });
    const expected = new X509Certificate(renewed.cert).fingerprint256;
    assert.notEqual((await https('/healthz')).certificate.fingerprint256, expected);
    await writeSecretAndConfig(renewed);
    await waitFor(
      'the renewed certificate',
      async () => (await https('/healthz')).certificate.fingerprint256 === expected,
      30_000,
    );
  });

  test('on SIGTERM turns unready, keeps answering, and exits 0 within the drain time', async (t) => {
    const container = running();
    const readyPath = chart.container.readinessProbe?.httpGet?.path ?? '';
    const started = performance.now();
    await container.kill('TERM');
    await waitFor(
      'readiness to turn false',
      async () => (await https(readyPath)).status === 503,
      settings.drainSeconds * 1000,
    );
    const review = await https('/validate', {
      method: 'POST',
      body: await readFile(SAMPLE_REVIEW, 'utf8'),
    });
    assert.equal(review.status, 200, 'reviews are still answered while draining');

    const exit = await container.exited;
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(
      `SIGTERM to exit: ${seconds.toFixed(1)} s (drainSeconds ${settings.drainSeconds})`,
    );
    assert.deepEqual(exit, { code: 0, signal: null }, container.stderr);
    const grace = chart.pod.terminationGracePeriodSeconds ?? 30;
    assert.ok(
      seconds < settings.drainSeconds + settings.timeoutSeconds && seconds < grace,
      `exited after ${seconds.toFixed(1)} s: within drainSeconds + timeoutSeconds, before the kubelet's SIGKILL at ${grace} s`,
    );
    assert.ok(seconds >= settings.drainSeconds - 0.5, 'it answered for the whole drain time');

    const lines = container.stdout.split('\n').filter(Boolean);
    for (const line of lines)
      assert.doesNotThrow(() => JSON.parse(line), `a JSON log line: ${line}`);
    assert.doesNotMatch(container.stderr, /^\s+at /m, 'no stack trace on stderr');
  });

  test('wrote nothing outside its volumes', async (t) => {
    await running().exited;
    const changes = treeChanges(rootfsBefore, await snapshotTree(image.rootfs));
    assert.deepEqual(changes, [], 'the root filesystem is as it was unpacked');
    const written = [...(await snapshotTree(tmpVolume)).keys()];
    t.diagnostic(
      `written to the /tmp emptyDir: ${written.length ? written.join(', ') : 'nothing'}`,
    );
  });

  for (const [command, args] of [
    ['scan', ['scan', '--help']],
    ['audit', ['audit']],
  ] as const) {
    test(`\`runtime-guard ${args.join(' ')}\` runs from the image`, async (t) => {
      if (!(await listedCommands()).has(command)) {
        t.skip(`runtime-guard has no ${command} command yet (not in src/cli/main.ts' usage)`);
        return;
      }
      const container = await Container.run(
        `rg-image-test-${process.pid}-${command}`,
        join(work, 'bundles', command),
        await runtimeConfig({ ...chart.container, name: command, args: [...args] }),
      );
      extraContainers.push(container);
      const exit = await Promise.race([
        container.exited,
        sleep(60_000, undefined, { ref: false }).then(() =>
          assert.fail(`${args.join(' ')} did not end within 60 s`),
        ),
      ]);
      assert.doesNotMatch(container.stderr, /^\s+at /m, 'no stack trace');
      if (command === 'scan') {
        assert.equal(exit.code, 0, container.stderr);
        assert.match(container.stdout, /usage/i);
      } else {
        // Without a cluster it must say so and stop, not crash.
        t.diagnostic(`exit ${exit.code}: ${container.stderr.trim().split('\n')[0] ?? ''}`);
        assert.ok(exit.code === 0 || exit.code === 2, `exit ${exit.code}: ${container.stderr}`);
      }
    });
  }
});
