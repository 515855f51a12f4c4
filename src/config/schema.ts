/**
 * The configuration file's schema: the single source of the documented options (README,
 * "Configuration") and of their types. Unknown keys are errors, so a typo cannot silently turn
 * a rule off.
 */
import { z } from 'zod';
import { parseCapabilityName } from '../policy/capabilities.ts';
import { serverSchema } from './server-schema.ts';

const capabilityName = z
  .string()
  .refine(
    (name) => parseCapabilityName(name).isKnown && parseCapabilityName(name).canonical !== 'ALL',
    {
      message: 'is not a Linux capability (write names like NET_BIND_SERVICE)',
    },
  );
const droppedCapabilityName = z.string().refine((name) => parseCapabilityName(name).isKnown, {
  message: 'is not a Linux capability or ALL',
});

const toggle = z
  .object({ enabled: z.boolean().default(true) })
  .strict()
  .prefault({});

export const seccompProfileSetting = z.discriminatedUnion('type', [
  z.object({ type: z.literal('RuntimeDefault') }).strict(),
  z.object({ type: z.literal('Localhost'), localhostProfile: z.string().min(1) }).strict(),
]);

const templatePath = z
  .string()
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'must be a dotted field path such as spec.template');

export const configSchema = z
  .object({
    /** Which Pod Security Standard the defaults follow. */
    preset: z.enum(['baseline', 'restricted']).default('baseline'),
    /** What a violation does: deny (enforce), allow with kubectl warnings (warn), or only record it (audit). */
    mode: z.enum(['enforce', 'warn', 'audit']).default('enforce'),
    rules: z
      .object({
        seccompRequired: toggle,
        seccompUnconfined: toggle,
        seccompLocalhostAllowlist: z
          .object({
            enabled: z.boolean().default(true),
            profiles: z.array(z.string().min(1)).default([]),
          })
          .strict()
          .prefault({}),
        capabilitiesAdded: z
          .object({
            enabled: z.boolean().default(true),
            allowed: z.array(capabilityName).optional(),
          })
          .strict()
          .prefault({}),
        capabilitiesDropAll: z.object({ enabled: z.boolean().optional() }).strict().prefault({}),
        privileged: toggle,
        appArmor: toggle,
      })
      .strict()
      .prefault({}),
    mutation: z
      .object({
        enabled: z.boolean().default(true),
        legacySeccompAnnotations: z
          .object({
            enabled: z.boolean().default(true),
            removeAnnotations: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
        legacyAppArmorAnnotations: z
          .object({
            enabled: z.boolean().default(false),
            removeAnnotations: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
        defaultSeccompProfile: z
          .object({
            enabled: z.boolean().default(true),
            profile: seccompProfileSetting.default({ type: 'RuntimeDefault' }),
          })
          .strict()
          .prefault({}),
        dropCapabilities: z
          .object({
            enabled: z.boolean().default(true),
            drop: z.array(droppedCapabilityName).optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    exemptions: z
      .object({
        namespaces: z.array(z.string().min(1)).default([]),
        usernames: z.array(z.string().min(1)).default([]),
        runtimeClassNames: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    /** Custom resources that carry a pod template, e.g. Argo Rollouts. */
    extraKinds: z
      .array(
        z
          .object({ group: z.string(), kind: z.string().min(1), podTemplatePath: templatePath })
          .strict(),
      )
      .default([]),
    server: serverSchema,
  })
  .strict();

export type ConfigFile = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
