/**
 * Reading an admission request's body under the memory budget, so that no body, and no number
 * of bodies at once, can take more memory than `server.maxBytesInFlight`:
 *
 * 1. when the headers are in (onRequest), before a byte of the body is read, the request
 *    reserves what holding its body will cost, from its Content-Length (the apiserver always
 *    sends one; a chunked body reserves the body limit);
 * 2. once the body is in, a body over `UNSCANNED_BODY_BYTES` has its structure counted
 *    (json-cost.ts): nesting deeper than the apiserver can send is refused, and the
 *    reservation grows to what JSON.parse will take;
 * 3. the reservation is held until the reply has gone, then released.
 *
 * A request that does not fit waits (in order, at most `BUDGET_WAIT_MS`) and then gets 429 with
 * Retry-After; one that would not fit even alone gets 413.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bodyTooLargeMessage, RequestError } from './error-replies.ts';
import {
  estimateParseBytes,
  MAX_REVIEW_DEPTH,
  readingBytes,
  scanJsonStructure,
  UNSCANNED_BODY_BYTES,
  unscannedParseBytes,
} from './json-cost.ts';
import { BudgetExceededError, type MemoryBudget, type Reservation } from './memory-budget.ts';

/** Long enough for the requests ahead to be parsed and answered (a large review takes ~100 ms), short beside the apiserver's timeout (10 s by default). */
export const BUDGET_WAIT_MS = 1000;

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

export class ReviewBodyReader {
  readonly #budget: MemoryBudget;
  readonly #bodyLimitBytes: number;
  readonly #reservations = new WeakMap<IncomingMessage, Reservation>();

  constructor(budget: MemoryBudget, bodyLimitBytes: number) {
    this.#budget = budget;
    this.#bodyLimitBytes = bodyLimitBytes;
  }

  /** onRequest: reserves what reading the body will hold, and releases it when the reply has gone. */
  async reserve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const declared = declaredLength(request);
    if (declared === 0) return;
    if (declared !== undefined && declared > this.#bodyLimitBytes) {
      // Its body is left unread, so the connection cannot carry another request.
      reply.header('connection', 'close');
      throw new RequestError(413, 'body_too_large', bodyTooLargeMessage(this.#bodyLimitBytes));
    }
    const bytes =
      declared === undefined
        ? readingBytes(this.#bodyLimitBytes)
        : declared <= UNSCANNED_BODY_BYTES
          ? unscannedParseBytes(declared)
          : readingBytes(declared);
    const reservation = await this.#wait(() => this.#budget.reserve(bytes));
    this.#reservations.set(request.raw, reservation);
    reply.raw.once('close', () => reservation.release());
  }

  /** The content-type parser: the body as JSON, within the reservation. */
  async read(request: FastifyRequest, payload: NodeJS.ReadableStream): Promise<unknown> {
    const body = await readBody(payload, declaredLength(request), this.#bodyLimitBytes);
    const reservation = this.#reservations.get(request.raw);
    if (reservation && body.length > UNSCANNED_BODY_BYTES) {
      const structure = scanJsonStructure(body, MAX_REVIEW_DEPTH);
      if (structure.depth > MAX_REVIEW_DEPTH) {
        throw new RequestError(
          400,
          'body_too_complex',
          `the body nests deeper than ${MAX_REVIEW_DEPTH} levels: the kube-apiserver accepts no object nested more than 10000 levels deep`,
        );
      }
      const needed = estimateParseBytes(body.length, structure);
      await this.#wait(() => reservation.resize(needed), {
        containers: structure.containers,
        strings: structure.strings,
      });
    } else if (reservation) {
      await this.#wait(() => reservation.resize(unscannedParseBytes(body.length)));
    }
    return parseJsonBody(body.toString('utf8'));
  }

  async #wait<T>(
    take: () => Promise<T>,
    structure?: { containers: number; strings: number },
  ): Promise<T> {
    try {
      return await take();
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) throw error;
      const limit = this.#budget.limitBytes;
      if (error.reason === 'larger-than-budget') {
        const counted = structure
          ? ` (${structure.containers} objects and arrays, ${structure.strings} strings)`
          : '';
        throw new RequestError(
          413,
          'body_too_complex',
          `the body would take about ${mib(error.bytes)} of memory to parse${counted}, more than server.maxBytesInFlight (${mib(limit)}) allows for all requests together`,
          { cause: error },
        );
      }
      throw new RequestError(
        429,
        'overloaded',
        `the server is busy: requests in flight hold ${mib(this.#budget.inUse)} of server.maxBytesInFlight (${mib(limit)}), and ${mib(error.bytes)} more did not come free within ${BUDGET_WAIT_MS} ms; retry`,
        { retryAfterSeconds: 1, cause: error },
      );
    }
  }
}

function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined || request.headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

const LENGTH_MISMATCH = 'the body is shorter or longer than its Content-Length header says';

/** The whole body in one Buffer: allocated once from Content-Length, else gathered up to the limit. */
async function readBody(
  payload: NodeJS.ReadableStream,
  declared: number | undefined,
  limit: number,
): Promise<Buffer> {
  const whole = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of payload as AsyncIterable<Buffer>) {
      if (whole) {
        if (received + chunk.length > whole.length) {
          throw new RequestError(400, 'bad_request', LENGTH_MISMATCH);
        }
        chunk.copy(whole, received);
      } else {
        if (received + chunk.length > limit) {
          throw new RequestError(413, 'body_too_large', bodyTooLargeMessage(limit));
        }
        chunks.push(chunk);
      }
      received += chunk.length;
    }
  } catch (error) {
    if (error instanceof RequestError) throw error;
    throw new RequestError(
      400,
      'bad_request',
      `the body could not be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (whole) {
    if (received !== whole.length) throw new RequestError(400, 'bad_request', LENGTH_MISMATCH);
    return whole;
  }
  return Buffer.concat(chunks, received);
}

export function parseJsonBody(body: string): unknown {
  // A byte order mark is no JSON, but it is no mistake worth refusing a review for either.
  const text = body.startsWith('\uFEFF') ? body.slice(1) : body;
  if (text.trim() === '') {
    throw new RequestError(
      400,
      'malformed_json',
      'the body is empty: send an AdmissionReview as JSON',
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(
      400,
      'malformed_json',
      `the body is not valid JSON: ${withoutExcerpt((error as Error).message)}`,
    );
  }
}

/** V8 quotes part of the input in some JSON errors; that part could hold a secret, so it goes. */
function withoutExcerpt(message: string): string {
  return message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
}
