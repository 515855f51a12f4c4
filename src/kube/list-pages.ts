/**
 * A list, one page at a time (`limit`/`continue`), so a caller holds one page and whatever it
 * keeps from it, never the whole cluster. Custom resources are listed the same way, through the
 * custom-objects endpoints (`/apis/<group>/<version>/<plural>`).
 *
 * When a continue token expires mid-list (HTTP 410, after etcd compaction), the API server offers
 * a token that continues without a consistent snapshot; the list goes on with it and says so,
 * rather than starting over on a busy cluster and never finishing.
 */
import { isObject } from '../json/values.ts';
import { ClusterRequestError, type KubeApi } from './api-client.ts';
import { resourcePath, type ApiResource } from './resources.ts';

export interface ListPage {
  items: unknown[];
  /** Items the API server says are left after this page (an estimate; absent when unknown). */
  remaining: number | undefined;
  /** True once the list continued past an expired token: it is not one snapshot. */
  inconsistent: boolean;
}

export interface ListOptions {
  /** Only this namespace (namespaced kinds). */
  namespace?: string | undefined;
  /** Items per page (default 500). */
  limit?: number;
}

export const DEFAULT_PAGE_SIZE = 500;

function continueToken(details: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const metadata = details && isObject(details.metadata) ? details.metadata : undefined;
  const token = metadata?.continue;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

export async function* listPages(
  api: KubeApi,
  resource: ApiResource,
  options: ListOptions = {},
): AsyncGenerator<ListPage> {
  const path = resourcePath(resource, options.namespace);
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  let token: string | undefined;
  let inconsistent = false;
  for (;;) {
    let body: unknown;
    try {
      body = await api.get(path, { limit, continue: token });
    } catch (error) {
      const fresh =
        error instanceof ClusterRequestError && error.status === 410
          ? continueToken(error.details)
          : undefined;
      if (token === undefined || fresh === undefined) throw error;
      token = fresh;
      inconsistent = true;
      continue;
    }
    if (!isObject(body) || !Array.isArray(body.items))
      throw new ClusterRequestError(`GET ${path}: the answer is not a list`, 200);
    const metadata = isObject(body.metadata) ? body.metadata : {};
    const remaining = metadata.remainingItemCount;
    yield {
      items: body.items,
      remaining: typeof remaining === 'number' ? remaining : undefined,
      inconsistent,
    };
    const next = metadata.continue;
    if (typeof next !== 'string' || next === '') return;
    token = next;
  }
}
