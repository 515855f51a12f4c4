/**
 * A serving certificate, its key and the optional client CA, read from PEM files and checked
 * as a whole before anything uses them: a pair that does not fit is refused with the reason,
 * never half-applied.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCAFile?: string | undefined;
}

export interface TlsPem {
  cert: string;
  key: string;
  /** CA bundle that client certificates must chain to. */
  ca?: string | undefined;
}

export interface CertificateSummary {
  subject: string;
  /** Subject alternative names as OpenSSL prints them, e.g. `DNS:localhost, IP Address:127.0.0.1`. */
  names: string;
  notAfter: Date;
  fingerprint256: string;
}

export interface TlsCredentials extends TlsPem {
  summary: CertificateSummary;
}

export class TlsCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsCredentialsError';
  }
}

export function summarizeCertificate(certificate: X509Certificate): CertificateSummary {
  return {
    subject: certificate.subject.replaceAll('\n', ', '),
    names: certificate.subjectAltName ?? '',
    notAfter: new Date(certificate.validTo),
    fingerprint256: certificate.fingerprint256,
  };
}

/** Throws TlsCredentialsError saying which part is wrong and why. */
export function checkTlsCredentials(
  pem: TlsPem,
  sources: TlsFiles = {
    certFile: 'the certificate',
    keyFile: 'the key',
    clientCAFile: 'the client CA',
  },
  now = new Date(),
): TlsCredentials {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem.cert);
  } catch (error) {
    throw new TlsCredentialsError(
      `${sources.certFile} holds no usable PEM certificate: ${(error as Error).message}`,
    );
  }
  let key;
  try {
    key = createPrivateKey(pem.key);
  } catch (error) {
    throw new TlsCredentialsError(
      `${sources.keyFile} holds no usable PEM private key: ${(error as Error).message}`,
    );
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new TlsCredentialsError(
      `the key in ${sources.keyFile} does not belong to the certificate in ${sources.certFile}`,
    );
  }
  const summary = summarizeCertificate(certificate);
  if (summary.notAfter.getTime() <= now.getTime()) {
    throw new TlsCredentialsError(
      `the certificate in ${sources.certFile} (${summary.subject}) expired on ${summary.notAfter.toISOString()}`,
    );
  }
  if (pem.ca !== undefined) {
    try {
      new X509Certificate(pem.ca);
    } catch (error) {
      throw new TlsCredentialsError(
        `${sources.clientCAFile} holds no usable PEM CA certificate: ${(error as Error).message}`,
      );
    }
  }
  try {
    // What the TLS server will do with them: catches anything the checks above did not.
    createSecureContext({ cert: pem.cert, key: pem.key, ...(pem.ca ? { ca: pem.ca } : {}) });
  } catch (error) {
    throw new TlsCredentialsError(
      `${sources.certFile} and ${sources.keyFile} cannot serve TLS: ${(error as Error).message}`,
    );
  }
  return { cert: pem.cert, key: pem.key, ...(pem.ca !== undefined ? { ca: pem.ca } : {}), summary };
}

export async function readTlsPem(files: TlsFiles): Promise<TlsPem> {
  const read = async (path: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new TlsCredentialsError(
        `${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  };
  const [cert, key, ca] = await Promise.all([
    read(files.certFile),
    read(files.keyFile),
    files.clientCAFile ? read(files.clientCAFile) : undefined,
  ]);
  return { cert, key, ca };
}

export async function readTlsCredentials(files: TlsFiles): Promise<TlsCredentials> {
  return checkTlsCredentials(await readTlsPem(files), files);
}
