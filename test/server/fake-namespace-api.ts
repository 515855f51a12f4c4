/**
 * Just enough of the Kubernetes API for a namespace informer: `GET /api/v1/namespaces` lists,
 * `?watch=true` streams watch events as JSON lines, and `labelSelector=KEY` keeps only the
 * namespaces that carry the label (a namespace that loses it is DELETED from the watch, as the
 * real apiserver does). Plain HTTP on loopback.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1Namespace } from '@kubernetes/client-node';

interface Watcher {
  response: ServerResponse;
  selector: string | undefined;
}

export class FakeNamespaceApi {
  readonly #server: Server;
  readonly #namespaces = new Map<string, Record<string, string>>();
  readonly #watchers = new Set<Watcher>();
  #resourceVersion = 100;
  /** While false, lists answer 503 as an apiserver that is not there yet. */
  available = true;
  listRequests = 0;
  failedListRequests = 0;
  watchRequests = 0;

  constructor() {
    this.#server = createServer((request, response) => this.#handle(request, response));
  }

  async start(): Promise<KubeConfig> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    const { port } = this.#server.address() as AddressInfo;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'fake' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    return kubeConfig;
  }

  async close(): Promise<void> {
    for (const watcher of this.#watchers) watcher.response.end();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  /** Creates or relabels a namespace, telling the open watches. */
  setLabels(name: string, labels: Record<string, string>): void {
    const before = this.#namespaces.get(name);
    this.#namespaces.set(name, labels);
    const object = this.#object(name, labels, (this.#resourceVersion += 1));
    for (const watcher of this.#watchers) {
      const matchedBefore = before !== undefined && matches(before, watcher.selector);
      const matchesNow = matches(labels, watcher.selector);
      if (matchesNow) this.#send(watcher, matchedBefore ? 'MODIFIED' : 'ADDED', object);
      else if (matchedBefore) this.#send(watcher, 'DELETED', object);
    }
  }

  delete(name: string): void {
    const labels = this.#namespaces.get(name);
    if (!labels) return;
    this.#namespaces.delete(name);
    const object = this.#object(name, labels, (this.#resourceVersion += 1));
    for (const watcher of this.#watchers)
      if (matches(labels, watcher.selector)) this.#send(watcher, 'DELETED', object);
  }

  #object(name: string, labels: Record<string, string>, resourceVersion: number): V1Namespace {
    return {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels, resourceVersion: String(resourceVersion), uid: `uid-${name}` },
    };
  }

  #send(watcher: Watcher, type: string, object: V1Namespace): void {
    watcher.response.write(`${JSON.stringify({ type, object })}\n`);
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (request.method !== 'GET' || url.pathname !== '/api/v1/namespaces') {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 404 }));
      return;
    }
    const selector = url.searchParams.get('labelSelector') ?? undefined;
    if (url.searchParams.get('watch') === 'true') {
      this.watchRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders();
      const watcher = { response, selector };
      this.#watchers.add(watcher);
      response.on('close', () => this.#watchers.delete(watcher));
      return;
    }
    this.listRequests += 1;
    if (!this.available) {
      this.failedListRequests += 1;
      response.writeHead(503, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'the server is currently unable to handle the request',
          code: 503,
        }),
      );
      return;
    }
    const items = [...this.#namespaces]
      .filter(([, labels]) => matches(labels, selector))
      .map(([name, labels]) => this.#object(name, labels, this.#resourceVersion));
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.#resourceVersion) },
        items,
      }),
    );
  }
}

/** Label selectors as the cache uses them: a bare key means "has this label". */
function matches(labels: Record<string, string>, selector: string | undefined): boolean {
  return selector === undefined || selector === '' || Object.hasOwn(labels, selector);
}
