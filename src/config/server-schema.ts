/**
 * The `server:` section of the configuration file: how `runtime-guard serve` listens. Policy
 * options live in schema.ts; this section only matters to the server, and is read at start:
 * a reloaded file changes the policy, not these settings.
 */
import { z } from 'zod';

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
    /** Largest AdmissionReview body accepted. An UPDATE carries object and oldObject, each up to ~1.5 MiB (3 MiB at the apiserver's request limit). */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .default(8 * 1024 * 1024),
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
