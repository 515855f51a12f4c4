/**
 * Which cluster, as whom: a kubeconfig file and context, or the pod's service account, loaded by
 * @kubernetes/client-node the way kubectl finds them. Every way this can go wrong is a
 * {@link ClusterAccessError} whose message names the file, the context or what is missing, so a
 * CLI can print it and exit 2. Shared by serve, scan and the in-cluster audit.
 */
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export class ClusterAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterAccessError';
  }
}

export interface ClusterAccessOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, else in-cluster credentials. */
  kubeconfig?: string | undefined;
  /** A context of that kubeconfig; default: its current-context. */
  context?: string | undefined;
  /** The environment to read KUBECONFIG and KUBERNETES_SERVICE_HOST from (tests). */
  env?: NodeJS.ProcessEnv;
}

export interface ClusterAccess {
  kubeConfig: KubeConfig;
  /** The API server's URL. */
  server: string;
  /** The context used, or `in-cluster`. */
  context: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function readable(path: string): string | undefined {
  try {
    accessSync(path, fsConstants.R_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

function loadFile(kubeConfig: KubeConfig, file: string): void {
  const problem = readable(file);
  if (problem) throw new ClusterAccessError(`cannot read kubeconfig ${file}: ${problem}`);
  try {
    kubeConfig.loadFromFile(file);
  } catch (error) {
    throw new ClusterAccessError(
      `${file} is not a usable kubeconfig: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/** Loads the kubeconfig (or in-cluster credentials) and selects the context. */
export function loadClusterAccess(options: ClusterAccessOptions = {}): ClusterAccess {
  const env = options.env ?? process.env;
  const kubeConfig = new KubeConfig();
  let source: string;
  if (options.kubeconfig !== undefined) {
    loadFile(kubeConfig, options.kubeconfig);
    source = options.kubeconfig;
  } else if (env['KUBECONFIG']) {
    const files = env['KUBECONFIG'].split(delimiter).filter((file) => file !== '');
    const [first, ...rest] = files;
    if (first === undefined) throw new ClusterAccessError('KUBECONFIG names no file');
    loadFile(kubeConfig, first);
    for (const file of rest) {
      const more = new KubeConfig();
      loadFile(more, file);
      kubeConfig.mergeConfig(more);
    }
    source = `KUBECONFIG=${env['KUBECONFIG']}`;
  } else if (existsSync(join(homedir(), '.kube', 'config'))) {
    const file = join(homedir(), '.kube', 'config');
    loadFile(kubeConfig, file);
    source = file;
  } else if (env['KUBERNETES_SERVICE_HOST'] && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    if (options.context !== undefined)
      throw new ClusterAccessError(
        `--context ${options.context}: there is no kubeconfig, only in-cluster credentials`,
      );
    try {
      kubeConfig.loadFromCluster();
    } catch (error) {
      throw new ClusterAccessError(`in-cluster credentials: ${(error as Error).message}`);
    }
    return {
      kubeConfig,
      server: kubeConfig.getCurrentCluster()?.server ?? '',
      context: 'in-cluster',
    };
  } else {
    throw new ClusterAccessError(
      'no cluster to read: no --kubeconfig, no KUBECONFIG, no ~/.kube/config, and not running in a pod',
    );
  }

  if (options.context !== undefined) {
    const names = kubeConfig.getContexts().map((c) => c.name);
    if (!names.includes(options.context)) {
      throw new ClusterAccessError(
        `context "${options.context}" is not in ${source} (contexts: ${names.join(', ') || 'none'})`,
      );
    }
    kubeConfig.setCurrentContext(options.context);
  }
  const context = kubeConfig.getCurrentContext();
  if (!context || !kubeConfig.getContextObject(context)) {
    throw new ClusterAccessError(
      `${source} has no current context; pass --context (contexts: ${
        kubeConfig
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none'
      })`,
    );
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster?.server) {
    throw new ClusterAccessError(
      `context "${context}" in ${source} names no cluster with a server`,
    );
  }
  return { kubeConfig, server: cluster.server, context };
}
