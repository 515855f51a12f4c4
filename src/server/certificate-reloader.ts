/**
 * Hot certificate reload: when the certificate, key or client CA files change, the new set is
 * checked and handed to the TLS server with setSecureContext(). Open connections keep the
 * context they were made with and are never dropped; the next handshake gets the new one. A set
 * that fails the checks is refused and logged, and the one in use stays.
 */
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { FileReloader } from './file-reloader.ts';
import type { ReadinessCheck } from './health-routes.ts';
import type { ServerMetrics } from './metrics.ts';
import {
  checkTlsCredentials,
  readTlsPem,
  type TlsCredentials,
  type TlsFiles,
  type TlsPem,
} from './tls-credentials.ts';
import type { ReloadResult, WatchFilesOptions } from './watch-files.ts';

function samePem(a: TlsPem, b: TlsPem): boolean {
  return a.cert === b.cert && a.key === b.key && (a.ca ?? '') === (b.ca ?? '');
}

export class CertificateReloader extends FileReloader {
  readonly #files: TlsFiles;
  readonly #metrics: ServerMetrics;
  #current: TlsCredentials;
  #lastRefused: { pem: TlsPem; message: string } | undefined;
  #server: TlsServer | undefined;

  constructor(files: TlsFiles, initial: TlsCredentials, log: Logger, metrics: ServerMetrics) {
    super(log, {
      watchFailed: 'watching the certificate files failed; still checking them every minute',
      reloadFailed: 'certificate reload failed unexpectedly',
    });
    this.#files = files;
    this.#current = initial;
    this.#metrics = metrics;
    metrics.certificateExpiry.set(initial.summary.notAfter.getTime() / 1000);
  }

  get current(): TlsCredentials {
    return this.#current;
  }

  /** Starts watching the files; reloads go to this server. */
  start(server: TlsServer, options: WatchFilesOptions = {}): void {
    this.#server = server;
    const paths = [
      this.#files.certFile,
      this.#files.keyFile,
      ...(this.#files.clientCAFile ? [this.#files.clientCAFile] : []),
    ];
    this.watch(paths, options);
  }

  readiness(): ReadinessCheck {
    return {
      name: 'certificate',
      check: () => {
        const { subject, notAfter } = this.#current.summary;
        if (notAfter.getTime() <= Date.now()) {
          return {
            ok: false,
            detail: `the certificate in use (${subject}) expired on ${notAfter.toISOString()}`,
          };
        }
        const refused = this.#lastRefused
          ? `; the files on disk were refused: ${this.#lastRefused.message}`
          : '';
        return {
          ok: true,
          detail: `serving ${subject} from ${this.#files.certFile}, valid until ${notAfter.toISOString()}${refused}`,
        };
      },
    };
  }

  protected async reloadOnce(): Promise<ReloadResult> {
    let result: ReloadResult;
    try {
      const pem = await readTlsPem(this.#files);
      if (samePem(pem, this.#current)) {
        this.#lastRefused = undefined;
        result = { ok: true, changed: false };
      } else if (this.#lastRefused && samePem(pem, this.#lastRefused.pem)) {
        result = { ok: false, message: this.#lastRefused.message }; // already reported
      } else {
        try {
          const credentials = checkTlsCredentials(pem, this.#files);
          this.#server?.setSecureContext({
            cert: credentials.cert,
            key: credentials.key,
            ...(credentials.ca ? { ca: credentials.ca } : {}),
          });
          this.#current = credentials;
          this.#lastRefused = undefined;
          this.#metrics.certificateReloads.inc({ result: 'success' });
          this.#metrics.certificateExpiry.set(credentials.summary.notAfter.getTime() / 1000);
          this.log.info({ ...credentials.summary }, 'serving certificate reloaded');
          result = { ok: true, changed: true };
        } catch (error) {
          this.#lastRefused = { pem, message: (error as Error).message };
          result = this.#refused((error as Error).message);
        }
      }
    } catch (error) {
      // Unreadable files: typically a swap in progress; the next event or poll tries again.
      result = this.#refused((error as Error).message);
    }
    return result;
  }

  #refused(message: string): ReloadResult {
    this.#metrics.certificateReloads.inc({ result: 'failure' });
    this.#metrics.errors.inc({ type: 'certificate_reload' });
    this.log.error(
      { reason: message, kept: this.#current.summary.subject },
      'new certificate refused; the previous one stays in use',
    );
    return { ok: false, message };
  }
}
