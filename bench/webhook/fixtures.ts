/**
 * What every server under test shares, written into one temporary folder: an ECDSA P-256
 * certificate (CA and serving pair), runtime-guard's configuration, each payload's request body,
 * runtime-guard's exact answer to it for each endpoint (which F0 and F1 send back verbatim and
 * the load generator compares every response with), and the pods the PSA benchmark reads.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { handleAdmissionReview, type Endpoint } from '../../src/admission/review-request.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { ReviewConfig } from '../../src/admission/settings.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../src/server/build-server.ts';
import { createCertificateAuthority, issueCertificate } from '../../src/server/dev-certificate.ts';
import { largePod, payloads, review } from '../payloads.ts';
import { POLICY_YAML } from './policy-config.ts';

export const ENDPOINTS: readonly Endpoint[] = ['validate', 'mutate'];

export interface PayloadFiles {
  name: string;
  slug: string;
  bodyFile: string;
  bytes: number;
  uid: string;
  /** Only checked for correct answers, never timed. */
  correctnessOnly: boolean;
  responseFile: Record<Endpoint, string>;
  responseBytes: Record<Endpoint, number>;
  /** runtime-guard's decision, e.g. "denied (8 violations)" or "patched (4 operations)". */
  decision: Record<Endpoint, string>;
}

export interface Fixture {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  bodyLimitBytes: number;
  /** What the servers' configuration file compiles to: the answers are computed from it. */
  config: ReviewConfig;
  payloads: PayloadFiles[];
  /** One Pod JSON file per timed payload, for bench/psa. */
  podsDir: string;
}

type Json = Record<string, unknown>;

/** runtime-guard's configuration file for one server start. */
export function serveConfigYaml(fixture: Fixture, port: number): string {
  return [
    '# runtime-guard as the benchmark serves it',
    POLICY_YAML.trimEnd(),
    'server:',
    '  host: 127.0.0.1',
    `  port: ${port}`,
    `  bodyLimitBytes: ${fixture.bodyLimitBytes}`,
    '  tls:',
    `    certFile: ${JSON.stringify(fixture.certFile)}`,
    `    keyFile: ${JSON.stringify(fixture.keyFile)}`,
    '  shutdown:',
    '    drainSeconds: 0',
    '    timeoutSeconds: 5',
    '',
  ].join('\n');
}

export async function createFixture(dir: string): Promise<Fixture> {
  await mkdir(join(dir, 'payloads'), { recursive: true });
  const podsDir = join(dir, 'pods');
  await mkdir(podsDir, { recursive: true });

  const authority = await createCertificateAuthority('runtime-guard benchmark CA');
  const serving = await issueCertificate(authority, {
    commonName: 'runtime-guard',
    dns: ['localhost'],
    ips: ['127.0.0.1'],
  });
  const fixture: Fixture = {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
    config: parseConfigText(POLICY_YAML, 'the benchmark configuration'),
    payloads: [],
    podsDir,
  };
  await writeFile(fixture.caFile, authority.cert);
  await writeFile(fixture.certFile, serving.cert);
  await writeFile(fixture.keyFile, serving.key, { mode: 0o600 });

  const timed = payloads();
  for (const { name, body } of timed) {
    fixture.payloads.push(await writePayload(fixture, name, body, false));
    await writeFile(join(podsDir, `${slugOf(name)}.json`), JSON.stringify(podOf(body)));
  }
  const nearLimit = nearLimitReview(fixture.bodyLimitBytes);
  fixture.payloads.push(await writePayload(fixture, 'near body limit', nearLimit, true));
  return fixture;
}

function slugOf(name: string): string {
  return name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
}

async function writePayload(
  fixture: Fixture,
  name: string,
  body: Json,
  correctnessOnly: boolean,
): Promise<PayloadFiles> {
  const slug = slugOf(name);
  const text = JSON.stringify(body);
  const files: PayloadFiles = {
    name,
    slug,
    bodyFile: join(fixture.dir, 'payloads', `${slug}.json`),
    bytes: Buffer.byteLength(text),
    uid: ((body.request as Json).uid as string) ?? '',
    correctnessOnly,
    responseFile: { validate: '', mutate: '' },
    responseBytes: { validate: 0, mutate: 0 },
    decision: { validate: '', mutate: '' },
  };
  await writeFile(files.bodyFile, text);
  for (const endpoint of ENDPOINTS) {
    // What runtime-guard answers, computed in process from the same bytes the servers receive.
    const result = handleAdmissionReview(endpoint, JSON.parse(text), fixture.config);
    if (!result.ok) throw new Error(`payload ${name}: ${result.message}`);
    const response = JSON.stringify(result.review);
    files.responseFile[endpoint] = join(fixture.dir, 'payloads', `${slug}.${endpoint}.json`);
    files.responseBytes[endpoint] = Buffer.byteLength(response);
    await writeFile(files.responseFile[endpoint], response);
    const { outcome } = result;
    const patch = result.review.response.patch;
    files.decision[endpoint] = outcome.violations.length
      ? `${outcome.decision} (${outcome.violations.length} violations)`
      : patch
        ? `${outcome.decision} (${(JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as unknown[]).length} operations)`
        : outcome.decision;
  }
  return files;
}

/** The pod a review carries, as PSA would evaluate it: the object's, or its pod template's. */
function podOf(body: Json): Json {
  const object = (body.request as Json).object as Json;
  if (object.kind === 'Pod') return object;
  const template = (object.spec as Json).template as Json;
  return { apiVersion: 'v1', kind: 'Pod', metadata: template.metadata, spec: template.spec };
}

/**
 * A pod review just under the body limit (64 KiB short): the large pod with its containers'
 * environments grown, as a ConfigMap-heavy workload might be.
 */
export function nearLimitReview(bodyLimitBytes: number): Json {
  const pod = largePod();
  const containers = (pod.spec as Json).containers as Json[];
  const target = bodyLimitBytes - 64 * 1024;
  const value = 'x'.repeat(4000);
  const entry = (i: number) => ({ name: `BULK_SETTING_${String(i).padStart(5, '0')}`, value });
  const entryBytes = JSON.stringify(entry(0)).length + 1;
  const baseBytes = JSON.stringify(review(pod)).length;
  const count = Math.floor((target - baseBytes) / entryBytes);
  for (let i = 0; i < count; i++) {
    const container = containers[i % containers.length] as Json;
    (container.env as Json[]).push(entry(i));
  }
  const body = review(pod);
  const bytes = JSON.stringify(body).length;
  if (bytes > target || bytes < target - 2 * entryBytes) {
    throw new Error(`near-limit payload is ${bytes} bytes, wanted about ${target}`);
  }
  return body;
}
