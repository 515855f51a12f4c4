/**
 * The `server:` section of the configuration file: how `runtime-guard serve` listens. Policy
 * options live in schema.ts; this section only matters to the server.
 */
import { z } from 'zod';

export const serverSchema = z
  .object({
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(1).max(65535).default(8443),
    tls: z
      .object({
        /** PEM certificate chain and key, as cert-manager writes them into a Secret. Without them a self-signed development certificate is made. */
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** When set, clients (the kube-apiserver) must present a certificate signed by this CA. */
        clientCAFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Largest AdmissionReview body accepted. An UPDATE carries object and oldObject, each up to ~1.5 MiB. */
    bodyLimitBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
    namespaceModes: z
      .object({
        /** Read the `runtime-guard.io/mode` label of namespaces through an informer (needs cluster access). */
        enabled: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type ServerSettings = z.output<typeof serverSchema>;
