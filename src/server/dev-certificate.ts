/**
 * The development certificate `serve` makes when no certificate files are configured: an
 * ECDSA P-256 CA and a serving certificate it signs, for localhost, 127.0.0.1, ::1 and the
 * in-cluster names of the `runtime-guard` service. Written to `.dev-certs/` so that
 * `curl --cacert .dev-certs/ca.crt` trusts it, and reused while it stays valid.
 */
import 'reflect-metadata'; // @peculiar/x509 needs it before it loads (tsyringe)
import { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { checkTlsCredentials, type TlsCredentials } from './tls-credentials.ts';

export const DEV_CERT_DIR = '.dev-certs';
const SERVICE_NAME = 'runtime-guard';
const VALID_DAYS = 365;
/** Made anew when less than this is left, so a running dev server never meets an expired one. */
const RENEW_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface IssuedCertificate {
  /** PEM */
  cert: string;
  /** PEM, PKCS#8 */
  key: string;
}

export interface CertificateAuthority extends IssuedCertificate {
  certificate: x509.X509Certificate;
  privateKey: webcrypto.CryptoKey;
}

/** DNS names of the service in the namespace this runs in (POD_NAMESPACE, else `runtime-guard`). */
export function developmentNames(namespace = process.env['POD_NAMESPACE'] || SERVICE_NAME): {
  dns: string[];
  ips: string[];
} {
  const service = `${SERVICE_NAME}.${namespace}`;
  return {
    dns: ['localhost', SERVICE_NAME, service, `${service}.svc`, `${service}.svc.cluster.local`],
    ips: ['127.0.0.1', '::1'],
  };
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')}\n`;
}

function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // A little in the past, so a clock that is slightly behind still accepts it.
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

export async function createCertificateAuthority(
  commonName: string,
  days = VALID_DAYS,
): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    ...validity(days),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate,
    privateKey: keys.privateKey,
    cert: `${certificate.toString('pem')}\n`,
    key: await exportKey(keys.privateKey),
  };
}

export interface IssueOptions {
  commonName: string;
  dns?: readonly string[];
  ips?: readonly string[];
  /** serverAuth by default; clientAuth for a client certificate. */
  usage?: 'server' | 'client';
  days?: number;
}

export async function issueCertificate(
  authority: CertificateAuthority,
  options: IssueOptions,
): Promise<IssuedCertificate> {
  const keys = await generateKeyPair();
  const names = [
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    subject: `CN=${options.commonName}`,
    issuer: authority.certificate.subject,
    ...validity(options.days ?? VALID_DAYS),
    publicKey: keys.publicKey,
    signingKey: authority.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        options.usage === 'client'
          ? x509.ExtendedKeyUsage.clientAuth
          : x509.ExtendedKeyUsage.serverAuth,
      ]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(authority.certificate),
    ],
  });
  return { cert: `${certificate.toString('pem')}\n`, key: await exportKey(keys.privateKey) };
}

export interface DevelopmentCertificate {
  credentials: TlsCredentials;
  /** The CA file to give curl; undefined when the directory could not be written. */
  caFile: string | undefined;
  created: boolean;
}

/** The certificate in `directory` if it is still good for these names, else a new one written there. */
export async function ensureDevelopmentCertificate(
  directory = DEV_CERT_DIR,
): Promise<DevelopmentCertificate> {
  const names = developmentNames();
  const files = {
    ca: join(directory, 'ca.crt'),
    cert: join(directory, 'tls.crt'),
    key: join(directory, 'tls.key'),
  };
  const existing = await reuse(files, names);
  if (existing) return { credentials: existing, caFile: files.ca, created: false };

  const authority = await createCertificateAuthority('runtime-guard development CA');
  const serving = await issueCertificate(authority, { commonName: SERVICE_NAME, ...names });
  const credentials = checkTlsCredentials(serving);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(files.key, serving.key, { mode: 0o600 });
    await writeFile(files.cert, serving.cert);
    await writeFile(files.ca, authority.cert);
    return { credentials, caFile: files.ca, created: true };
  } catch {
    return { credentials, caFile: undefined, created: true };
  }
}

async function reuse(
  files: { ca: string; cert: string; key: string },
  names: { dns: string[]; ips: string[] },
): Promise<TlsCredentials | undefined> {
  try {
    const [cert, key] = await Promise.all([
      readFile(files.cert, 'utf8'),
      readFile(files.key, 'utf8'),
      readFile(files.ca, 'utf8'),
    ]);
    const credentials = checkTlsCredentials({ cert, key });
    const wanted = [
      ...names.dns.map((n) => `DNS:${n}`),
      ...names.ips.map((ip) => `IP Address:${ip === '::1' ? '0:0:0:0:0:0:0:1' : ip}`),
    ];
    const present = new Set(credentials.summary.names.split(', '));
    const fresh = credentials.summary.notAfter.getTime() - Date.now() > RENEW_DAYS * DAY_MS;
    return fresh && wanted.every((name) => present.has(name)) ? credentials : undefined;
  } catch {
    return undefined;
  }
}
