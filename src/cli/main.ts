#!/usr/bin/env node
import { runReview } from './review-command.ts';

const USAGE = `usage: runtime-guard <command> [options]
commands:
  review [--config FILE] [--mutate] [FILE|-]   answer one AdmissionReview offline
  serve  [--config FILE]                       run the webhook server (HTTPS)
  check  [FILE|DIR|-]... [--fix] [-o FORMAT]   judge (and fix) manifests before they ship
  scan   [--kubeconfig FILE] [-n NS]... [-o FORMAT]  report what runs in a cluster, with fixes
  audit  [--config FILE] [--report-api API]    keep a policy report per workload current, in the cluster
  profile from-strace|record|merge|diff ...    custom seccomp profiles from strace traces`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'review':
      return runReview(rest);
    case 'scan': {
      const { runScan } = await import('./scan-command.ts');
      return runScan(rest);
    }
    case 'check': {
      const { runCheck } = await import('./check-command.ts');
      return runCheck(rest);
    }
    case 'serve': {
      const { runServe } = await import('./serve-command.ts');
      return runServe(rest);
    }
    case 'audit': {
      const { runAudit } = await import('./audit-command.ts');
      return runAudit(rest);
    }
    case 'profile': {
      const { runProfile } = await import('./profile-command.ts');
      return runProfile(rest);
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`runtime-guard: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
