/**
 * Sockets between TCP accept and a finished TLS handshake. Node gives a socket to the HTTP
 * server only once its handshake is done, so until then neither the HTTP timeouts, Fastify's
 * close nor closeAllConnections() know it exists. This module owns them:
 *
 * - a handshake that fails or does not finish in time (Node's `handshakeTimeout`) ends with
 *   `tlsClientError`; the socket is destroyed there and then, counted (`tls_handshake_timeout`
 *   or `tls_handshake`) and logged. Without this, https.Server hands the error on to the HTTP
 *   `clientError` handler, which answers HTTP into a socket that has no TLS session yet and
 *   waits for that answer to flush: for ever.
 * - on shutdown the sockets still shaking hands are destroyed: nothing was asked on them yet,
 *   and waiting for their deadline would only hold the process up;
 * - connections beyond `server.maxConnections` are closed by Node at accept ('drop'): counted
 *   and logged.
 */
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ServerMetrics } from './metrics.ts';

/** The kube-apiserver's handshake takes milliseconds; Node's default waits 120 s. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TlsHandshakes {
  /** Sockets accepted whose handshake has not finished. */
  pending(): number;
  /** Destroys them; returns how many there were. */
  destroyPending(): number;
}

/** A key both the raw socket and its TLSSocket answer the same way. */
function peer(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'} ${socket.remotePort ?? '?'}`;
}

export function watchTlsHandshakes(
  server: TlsServer,
  metrics: ServerMetrics,
  log: Logger,
): TlsHandshakes {
  const pending = new Map<string, Socket>();

  server.on('connection', (socket: Socket) => {
    const key = peer(socket);
    pending.set(key, socket);
    socket.once('close', () => {
      if (pending.get(key) === socket) pending.delete(key);
    });
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    pending.delete(peer(socket));
  });

  // Before https.Server's own listener, which would pass the error on to 'clientError'.
  server.prependListener('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    socket.destroy();
    pending.delete(peer(socket));
    const fields = { error: error.message, code: error.code, remoteAddress: socket.remoteAddress };
    if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
      metrics.errors.inc({ type: 'tls_handshake_timeout' });
      log.warn({ ...fields, timeoutMs: TLS_HANDSHAKE_TIMEOUT_MS }, 'TLS handshake timed out');
      return;
    }
    metrics.errors.inc({ type: 'tls_handshake' });
    // Refused handshakes (unknown CA, protocol) matter; sockets closed before any TLS are probes and scanners.
    log[error.code?.startsWith('ERR_SSL') ? 'warn' : 'debug'](fields, 'TLS handshake failed');
  });

  server.on('drop', (data?: { remoteAddress?: string }) => {
    metrics.errors.inc({ type: 'connection_limit' });
    log.warn(
      { remoteAddress: data?.remoteAddress, maxConnections: server.maxConnections },
      'connection refused: server.maxConnections reached',
    );
  });

  return {
    pending: () => pending.size,
    destroyPending() {
      const sockets = [...pending.values()];
      pending.clear();
      for (const socket of sockets) socket.destroy();
      return sockets.length;
    },
  };
}
