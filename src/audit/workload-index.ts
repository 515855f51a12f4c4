/**
 * Who controls whom, across every cache: objects by uid, their children by the uid of their
 * controller. From any object the audit finds the workload that owns it at the top (Pod →
 * ReplicaSet → Deployment, Pod → Job → CronJob), and from a top workload the whole tree the
 * scan's fold reads: parents before children, pods last. The folding itself is the scan's
 * (src/inspect/inspection.ts); this only knows which objects to hand it.
 */
import { isObject, type JsonObject } from '../json/values.ts';
import type { ApiResource } from '../kube/resources.ts';

export interface IndexedObject {
  uid: string;
  resource: ApiResource;
  object: JsonObject;
  namespace: string;
  name: string;
  controllerUid: string | undefined;
}

export interface WorkloadTree {
  top: IndexedObject;
  /** Workloads parent first (the top one first); no pods. */
  workloads: IndexedObject[];
  pods: IndexedObject[];
}

/** Deeper than any real chain of controllers; stops a loop of owner references. */
const MAX_DEPTH = 16;

export function controllerUidOf(object: JsonObject): string | undefined {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  if (!Array.isArray(metadata.ownerReferences)) return undefined;
  for (const ref of metadata.ownerReferences)
    if (isObject(ref) && ref.controller === true && typeof ref.uid === 'string') return ref.uid;
  return undefined;
}

const isPodResource = (r: ApiResource) => r.group === '' && r.kind === 'Pod';

export class WorkloadIndex {
  readonly #byUid = new Map<string, IndexedObject>();
  readonly #children = new Map<string, Set<string>>();

  get size(): number {
    return this.#byUid.size;
  }

  get(uid: string): IndexedObject | undefined {
    return this.#byUid.get(uid);
  }

  /** Adds or replaces an object (an update may change its controller). */
  put(resource: ApiResource, uid: string, object: JsonObject): IndexedObject {
    this.remove(uid);
    const metadata = isObject(object.metadata) ? object.metadata : {};
    const entry: IndexedObject = {
      uid,
      resource,
      object,
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
      name: typeof metadata.name === 'string' ? metadata.name : '',
      controllerUid: controllerUidOf(object),
    };
    this.#byUid.set(uid, entry);
    if (entry.controllerUid) {
      let children = this.#children.get(entry.controllerUid);
      if (!children) this.#children.set(entry.controllerUid, (children = new Set()));
      children.add(uid);
    }
    return entry;
  }

  remove(uid: string): IndexedObject | undefined {
    const old = this.#byUid.get(uid);
    if (!old) return undefined;
    this.#byUid.delete(uid);
    if (old.controllerUid) {
      const siblings = this.#children.get(old.controllerUid);
      siblings?.delete(uid);
      if (siblings?.size === 0) this.#children.delete(old.controllerUid);
    }
    return old;
  }

  /** The topmost object known above `uid` (itself when its controller is not known). */
  topOf(uid: string): IndexedObject | undefined {
    let entry = this.#byUid.get(uid);
    for (let depth = 0; entry?.controllerUid && depth < MAX_DEPTH; depth++) {
      const up = this.#byUid.get(entry.controllerUid);
      if (!up) break;
      entry = up;
    }
    return entry;
  }

  isTop(uid: string): boolean {
    return this.topOf(uid)?.uid === uid;
  }

  /** The objects under a top workload, breadth first. */
  treeOf(top: IndexedObject): WorkloadTree {
    const workloads: IndexedObject[] = [];
    const pods: IndexedObject[] = [];
    let level = [top];
    const seen = new Set<string>();
    for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
      const next: IndexedObject[] = [];
      for (const entry of level) {
        if (seen.has(entry.uid)) continue;
        seen.add(entry.uid);
        (isPodResource(entry.resource) ? pods : workloads).push(entry);
        for (const child of this.#children.get(entry.uid) ?? []) {
          const found = this.#byUid.get(child);
          if (found) next.push(found);
        }
      }
      level = next;
    }
    return { top, workloads, pods };
  }

  /** Every top workload (pods without a known controller included). */
  *tops(): IterableIterator<IndexedObject> {
    for (const entry of this.#byUid.values()) if (this.isTop(entry.uid)) yield entry;
  }
}
