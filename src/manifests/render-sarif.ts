/**
 * The report as SARIF 2.1.0, for code-scanning views: one run of runtime-guard, every rule with
 * its description, one result per finding at the offending field's line. Levels follow the
 * mode: enforce → error (refused), warn → warning, audit → note.
 */
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { FindingRule } from './check-report.ts';
import type { CheckReport } from './check-report.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const RULES: Record<FindingRule, { name: string; short: string; full: string }> = {
  privileged: {
    name: 'Privileged',
    short: 'No privileged or Windows HostProcess containers',
    full: 'A container must not run privileged (securityContext.privileged: true), and no pod or container may be a Windows HostProcess one: both get the whole node.',
  },
  seccompUnconfined: {
    name: 'SeccompUnconfined',
    short: 'No Unconfined seccomp profile',
    full: 'seccompProfile.type must not be Unconfined, at pod or container level, even where every container overrides the pod level.',
  },
  seccompRequired: {
    name: 'SeccompRequired',
    short: 'Every container has a seccomp profile',
    full: "Each container's effective seccomp profile (its own, else the pod's) must be RuntimeDefault or Localhost. The legacy seccomp annotations do not count: Kubernetes ignores them since 1.27.",
  },
  seccompLocalhostAllowlist: {
    name: 'SeccompLocalhostAllowlist',
    short: 'Localhost seccomp profiles from the allowed list',
    full: 'A Localhost seccomp profile must match one of the configured globs and be a clean relative path.',
  },
  capabilitiesAdded: {
    name: 'CapabilitiesAdded',
    short: 'Only allowed capabilities are added',
    full: "securityContext.capabilities.add may only name capabilities on the policy's allowed list, in their canonical spelling; ALL and unknown names are refused.",
  },
  capabilitiesDropAll: {
    name: 'CapabilitiesDropAll',
    short: 'Every container drops ALL capabilities',
    full: 'securityContext.capabilities.drop must contain ALL (restricted preset).',
  },
  appArmor: {
    name: 'AppArmor',
    short: 'No Unconfined AppArmor profile',
    full: 'The AppArmor profile, in the field or the legacy annotation, must not be Unconfined.',
  },
  malformed: {
    name: 'Malformed',
    short: 'The object can be read',
    full: 'A field the policy reads has the wrong type (containers not a list, a capability not a string, …): the webhook refuses the object.',
  },
};

const RULE_IDS = Object.keys(RULES) as FindingRule[];

function descriptor(id: FindingRule): ReportingDescriptor {
  const rule = RULES[id];
  return {
    id,
    name: rule.name,
    shortDescription: { text: rule.short },
    fullDescription: { text: rule.full },
    help: { text: rule.full },
    defaultConfiguration: { level: 'error' },
  };
}

/** A report path as a relative URI reference (`<stdin>` becomes `stdin`). */
function artifactUri(file: string): string {
  if (file === '<stdin>') return 'stdin';
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}

export function reportSarif(report: CheckReport, toolVersion: string): Log {
  const results: Result[] = [];
  for (const file of report.files) {
    for (const object of file.objects) {
      for (const finding of object.findings) {
        results.push({
          ruleId: finding.rule,
          ruleIndex: RULE_IDS.indexOf(finding.rule),
          level: finding.severity,
          message: {
            text: `${object.object.kind}/${object.object.name}: ${finding.message}`,
          },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: artifactUri(finding.file), uriBaseId: '%SRCROOT%' },
                region: { startLine: finding.line, startColumn: finding.column },
              },
              logicalLocations: [
                {
                  name: object.object.name,
                  fullyQualifiedName: `${object.object.namespace ? `${object.object.namespace}/` : ''}${object.object.kind}/${object.object.name}`,
                  kind: 'object',
                },
              ],
            },
          ],
          properties: {
            field: finding.field,
            subject: finding.subject,
            fix: finding.fix,
            mode: finding.mode,
          },
        });
      }
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'runtime-guard',
            version: toolVersion,
            semanticVersion: toolVersion,
            rules: RULE_IDS.map(descriptor),
          },
        },
        automationDetails: { id: `runtime-guard-check/${report.preset}/` },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function renderSarif(report: CheckReport, toolVersion: string): string {
  return `${JSON.stringify(reportSarif(report, toolVersion), null, 2)}\n`;
}
