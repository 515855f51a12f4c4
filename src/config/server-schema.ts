/**
 * The `server:` section of the configuration file: how `runtime-guard serve` listens. Policy
 * options live in schema.ts; this section only matters to the server, and is read at start:
 * a reloaded file changes the policy, not these settings.
 */
import { z } from 'zod';

export const DEFAULT_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_BYTES_IN_FLIGHT = 72 * 1024 * 1024;

export const serverSchema = z
  .object({
    host: z.string().min(1).default('0.0.0.0'),
    /** 0 lets the system pick a free port (tests); the chosen port is logged. */
    port: z.number().int().min(0).max(65535).default(8443),
    tls: z
      .object({
        /** PEM certificate chain and key, as cert-manager writes them into a Secret. Without them a self-signed development certificate is made. */
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** When set, /validate and /mutate require a client certificate (the kube-apiserver's) signed by this CA; probes and /metrics do not. */
        clientCAFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({})
      .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
        message:
          'certFile and keyFile go together: set both, or neither for a development certificate',
      })
      .refine((tls) => tls.clientCAFile === undefined || tls.certFile !== undefined, {
        message:
          'clientCAFile needs certFile and keyFile: client certificates are checked with a configured serving certificate only',
      }),
    /**
     * Largest AdmissionReview body accepted: what the kube-apiserver sends for objects it can
     * store. An UPDATE carries object and oldObject; etcd refuses objects over 1.5 MiB, and the
     * JSON of a pod is 1.3–1.55 times its protobuf (measured with k8s.io/api on bench/payloads.ts),
     * so each is at most 2.33 MiB: 4.65 MiB, and the rest of the review (kinds, userInfo,
     * options) rounds it to 5 MiB. Refused: objects of long lists of tiny entries near etcd's
     * limit (their JSON is up to 2.3 times the protobuf), which the budget would refuse anyway.
     */
    bodyLimitBytes: z.number().int().min(1024).default(DEFAULT_BODY_LIMIT_BYTES),
    /**
     * Memory that admission requests being read, parsed and answered may hold together, as
     * estimated from each body before it is parsed (src/server/json-cost.ts: 13–16 bytes per
     * byte for real pods, up to 66 for the worst JSON). A request that does not fit waits up to
     * a second, then gets 429 with Retry-After; one that would not fit alone gets 413. The
     * default fits the largest real review (a 5 MiB UPDATE of pods, ~68 MiB estimated) and
     * keeps a 256 MiB container below ~240 MiB under the worst bodies and 380 open connections
     * (test/server/memory-cgroup.test.ts); raise it with the memory limit.
     */
    maxBytesInFlight: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(DEFAULT_MAX_BYTES_IN_FLIGHT),
    /**
     * Connections held at once, those still in their TLS handshake included; Node closes any
     * beyond at accept. An idle TLS connection costs about 70 KiB (one in its handshake 20 KiB),
     * so the default holds at most ~35 MiB; each apiserver opens one per review in flight.
     */
    maxConnections: z.number().int().min(1).default(512),
    namespaceModes: z
      .object({
        /** Read the `runtime-guard.io/mode` label of namespaces through an informer (needs cluster access). */
        enabled: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        /** After SIGTERM, keep answering this long with readiness false, so endpoints drop this pod before connections close. */
        drainSeconds: z.number().min(0).max(300).default(5),
        /** Then how long in-flight reviews get to finish before the remaining connections are cut. */
        timeoutSeconds: z.number().min(1).max(300).default(20),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type ServerSettings = z.output<typeof serverSchema>;
