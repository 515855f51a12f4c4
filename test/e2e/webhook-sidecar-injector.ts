// A stand-in for a sidecar injector (Istio, Linkerd, a log shipper): a second mutating webhook
// that the apiserver calls after runtime-guard's and that adds a container runtime-guard has not
// seen. With reinvocationPolicy IfNeeded, the apiserver calls runtime-guard again, which gives
// the sidecar the same fixes as every other container.

import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueCertificate, type CertificateAuthority } from '../../src/server/dev-certificate.ts';
import { base64, type KubeObject } from './webhook-harness.ts';

/** Pods with this label get the sidecar. */
export const INJECT_LABEL = 'e2e.runtime-guard.io/inject-sidecar';
export const SIDECAR_NAME = 'injected-proxy';

export interface SidecarInjector {
  /** A MutatingWebhookConfiguration named to sort after the chart's, so it is called second. */
  configuration: KubeObject;
  /** How many reviews it answered. */
  calls(): number;
  stop(): Promise<void>;
}

interface Review {
  apiVersion?: string;
  request?: { uid?: string; object?: { spec?: { containers?: { name?: string }[] } } };
}

export async function startSidecarInjector(
  authority: CertificateAuthority,
): Promise<SidecarInjector> {
  const serving = await issueCertificate(authority, {
    commonName: 'e2e-sidecar-injector',
    ips: ['127.0.0.1'],
    days: 2,
  });
  let calls = 0;
  const server = createServer({ cert: serving.cert, key: serving.key }, (request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      calls += 1;
      const review = JSON.parse(body) as Review;
      const containers = review.request?.object?.spec?.containers ?? [];
      const patch = containers.some((c) => c.name === SIDECAR_NAME)
        ? []
        : [
            {
              op: 'add',
              path: '/spec/containers/-',
              value: { name: SIDECAR_NAME, image: 'registry.invalid/proxy:1' },
            },
          ];
      const answer = {
        apiVersion: review.apiVersion ?? 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: {
          uid: review.request?.uid ?? '',
          allowed: true,
          ...(patch.length > 0
            ? { patchType: 'JSONPatch', patch: base64(JSON.stringify(patch)) }
            : {}),
        },
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const configuration: KubeObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'zz-e2e-sidecar-injector' },
    webhooks: [
      {
        name: 'inject.sidecar.e2e.runtime-guard.io',
        clientConfig: { url: `https://127.0.0.1:${port}/inject`, caBundle: base64(authority.cert) },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['pods'],
          },
        ],
        objectSelector: { matchLabels: { [INJECT_LABEL]: 'true' } },
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 5,
      },
    ],
  };

  return {
    configuration,
    calls: () => calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
