/**
 * GET requests to the API server, answered as parsed JSON, with the credentials, CA and proxy the
 * kubeconfig names (@kubernetes/client-node's `applyToHTTPSOptions`: certificates, tokens, exec
 * and auth-provider plugins, in-cluster tokens).
 *
 * Objects are read as the API server sends them, not through the generated model classes: those
 * keep only the fields the client library's version knows, and a scanner that dropped a field
 * newer than its library could call a pod compliant that is not.
 *
 * Bounded: one request at a time per call, a timeout per request, and a ceiling on the size of a
 * response (a page of a list), so a huge or endless answer fails with a message instead of
 * filling memory.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { isObject } from '../json/values.ts';

export class ClusterRequestError extends Error {
  /** HTTP status, or 0 when no answer came (unreachable, TLS, timeout). */
  readonly status: number;
  /** The Status object the API server answered with, when it sent one. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(message: string, status: number, details?: Readonly<Record<string, unknown>>) {
    super(message);
    this.name = 'ClusterRequestError';
    this.status = status;
    this.details = details;
  }
}

export interface KubeApi {
  /** The API server's URL. */
  readonly server: string;
  /** GET `path` with `query`; the parsed JSON body of a 2xx answer, else a ClusterRequestError. */
  get(
    path: string,
    query?: Readonly<Record<string, string | number | undefined>>,
  ): Promise<unknown>;
  /** Requests made so far. */
  readonly calls: number;
}

export interface KubeApiOptions {
  /** Per request (default 60 s). */
  timeoutMs?: number;
  /** Largest response body accepted (default 256 MiB). */
  maxBodyBytes?: number;
}

function parseStatus(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The Status object's message, or the start of the body when it is not one. */
function statusMessage(body: string): string {
  const parsed = parseStatus(body);
  if (parsed && typeof parsed.message === 'string') return parsed.message;
  // not a Status: a proxy's or load balancer's page
  const text = body.replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || '(empty body)';
}

function describeNetworkError(error: NodeJS.ErrnoException, server: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `cannot reach the API server at ${server}: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the API server at ${server}: host not found`;
    case 'ECONNRESET':
      return `the API server at ${server} closed the connection`;
    case 'ETIMEDOUT':
      return `cannot reach the API server at ${server}: timed out`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'CERT_HAS_EXPIRED':
      return `the API server at ${server} presented a certificate the kubeconfig's CA does not verify (${error.code})`;
    default:
      return `cannot reach the API server at ${server}: ${error.message}`;
  }
}

export async function createKubeApi(
  kubeConfig: KubeConfig,
  options: KubeApiOptions = {},
): Promise<KubeApi> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024 * 1024;
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  const base = new URL(server);
  let calls = 0;

  const send = async (path: string, search: string): Promise<{ status: number; body: string }> => {
    const requestOptions: RequestOptions & { headers: Record<string, string> } = {
      method: 'GET',
      headers: { accept: 'application/json' },
    };
    try {
      await kubeConfig.applyToHTTPSOptions(requestOptions);
    } catch (error) {
      throw new ClusterRequestError(
        `cannot authenticate to ${server}: ${(error as Error).message}`,
        0,
      );
    }
    const url = new URL(base);
    // The server URL may carry a path prefix (a proxy such as Rancher's): keep it.
    url.pathname = `${base.pathname.replace(/\/$/, '')}${path}`;
    url.search = search;
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    calls++;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { ...requestOptions, timeout: timeoutMs },
        (res: IncomingMessage) => {
          // Decoded as it arrives, onto the V8 heap: Buffers kept to the end of a large page
          // live outside it, where the garbage collector sees them late.
          res.setEncoding('utf8');
          let body = '';
          res.on('data', (chunk: string) => {
            if (body.length + chunk.length > maxBodyBytes) {
              req.destroy(
                new ClusterRequestError(
                  `GET ${path}: the answer exceeds ${maxBodyBytes} characters; use a smaller page size`,
                  0,
                ),
              );
              return;
            }
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new ClusterRequestError(
            `GET ${path}: no answer from ${server} within ${timeoutMs / 1000} s`,
            0,
          ),
        ),
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          error instanceof ClusterRequestError
            ? error
            : new ClusterRequestError(describeNetworkError(error, server), 0),
        ),
      );
      req.end();
    });
  };

  return {
    server,
    get calls() {
      return calls;
    },
    async get(path, query = {}) {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(query))
        if (value !== undefined) search.set(key, String(value));
      const { status, body } = await send(path, search.toString());
      if (status < 200 || status > 299) {
        throw new ClusterRequestError(
          `GET ${path}: HTTP ${status}: ${statusMessage(body)}`,
          status,
          parseStatus(body),
        );
      }
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw new ClusterRequestError(`GET ${path}: the answer is not JSON`, status);
      }
    },
  };
}
