/**
 * AdmissionReview `admission.k8s.io/v1` and `v1beta1` as the kube-apiserver sends them. No
 * maintained package ships these types for plain JSON, so the fields we read are declared here
 * and checked on the way in: an AdmissionReview that does not parse never reaches the policy.
 */
import { describeValue, isObject } from '../json/values.ts';

export const ADMISSION_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo?: { username?: string; groups?: string[] };
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export type ParsedReview =
  | { ok: true; apiVersion: AdmissionApiVersion; request: AdmissionRequest }
  | { ok: false; message: string };

/** Checks the envelope: what a reply needs (apiVersion, uid) and what routing needs (kind, operation). */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isObject(body))
    return {
      ok: false,
      message: `the body must be an AdmissionReview object, got ${describeValue(body)}`,
    };
  const { apiVersion, kind, request } = body;
  if (!ADMISSION_API_VERSIONS.includes(apiVersion as AdmissionApiVersion)) {
    return {
      ok: false,
      message: `apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1, got ${describeValue(apiVersion)}`,
    };
  }
  if (kind !== 'AdmissionReview')
    return {
      ok: false,
      message: `kind must be AdmissionReview, got ${describeValue(kind)}`,
    };
  if (!isObject(request))
    return {
      ok: false,
      message: `request must be an object, got ${describeValue(request)}`,
    };
  if (typeof request.uid !== 'string' || request.uid === '')
    return { ok: false, message: 'request.uid must be a non-empty string' };
  const gvk = request.kind;
  if (
    !isObject(gvk) ||
    typeof gvk.kind !== 'string' ||
    typeof (gvk.group ?? '') !== 'string' ||
    typeof (gvk.version ?? '') !== 'string'
  ) {
    return {
      ok: false,
      message: 'request.kind must be an object with string group, version and kind',
    };
  }
  if (typeof request.operation !== 'string' || !OPERATIONS.includes(request.operation)) {
    return {
      ok: false,
      message: `request.operation must be one of ${OPERATIONS.join(', ')}, got ${describeValue(request.operation)}`,
    };
  }
  for (const field of ['subResource', 'namespace', 'name'] as const) {
    const value = request[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return {
        ok: false,
        message: `request.${field} must be a string, got ${describeValue(value)}`,
      };
    }
  }
  const userInfo = request.userInfo;
  if (
    userInfo !== undefined &&
    userInfo !== null &&
    (!isObject(userInfo) || (userInfo.username != null && typeof userInfo.username !== 'string'))
  ) {
    return { ok: false, message: 'request.userInfo.username must be a string' };
  }
  const parsed: AdmissionRequest = {
    uid: request.uid,
    kind: {
      group: (gvk.group as string | undefined) ?? '',
      version: (gvk.version as string | undefined) ?? '',
      kind: gvk.kind,
    },
    operation: request.operation as Operation,
    object: request.object,
    oldObject: request.oldObject,
  };
  if (typeof request.subResource === 'string' && request.subResource !== '')
    parsed.subResource = request.subResource;
  if (typeof request.namespace === 'string') parsed.namespace = request.namespace;
  if (typeof request.name === 'string') parsed.name = request.name;
  if (isObject(userInfo) && typeof userInfo.username === 'string')
    parsed.userInfo = { username: userInfo.username };
  if (request.dryRun === true) parsed.dryRun = true;
  return { ok: true, apiVersion: apiVersion as AdmissionApiVersion, request: parsed };
}
