/**
 * Reading an admission request's body under the memory budget, so that no body, and no number
 * of bodies at once, can take more memory than `server.maxBytesInFlight`:
 *
 * 1. when the headers are in (onRequest), before a byte of the body is read, the request
 *    reserves what holding its body will cost, from its Content-Length (the apiserver always
 *    sends one; a chunked body reserves the body limit);
 * 2. once the body is in, it is charged what JSON.parse will take: a body whose dearest
 *    possible cost (66 bytes a byte) is more than a third of the budget, 372 KiB with the
 *    defaults, has its structure counted as it arrives (json-cost.ts), and nesting deeper than
 *    the apiserver can send is refused; a smaller one is charged that dearest cost, which is
 *    cheaper than counting (a typical review is 5–25 KiB; counting the large pod of
 *    bench/payloads.ts, 284 KiB, cost a third more CPU per review);
 * 3. the reservation is held until the reply has gone, then released.
 *
 * A request that does not fit waits (in order, at most `BUDGET_WAIT_MS`) and then gets 429 with
 * Retry-After; one that would not fit even alone gets 413.
 */
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bodyTooLargeMessage, RequestError } from './error-replies.ts';
import {
  estimateParseBytes,
  JsonStructureCounter,
  MAX_REVIEW_DEPTH,
  readingBytes,
  unscannedParseBytes,
  WORST_BYTES_PER_BODY_BYTE,
} from './json-cost.ts';
import { BudgetExceededError, type MemoryBudget, type Reservation } from './memory-budget.ts';

/** Long enough for the requests ahead to be parsed and answered (a large review takes ~100 ms), short beside the apiserver's timeout (10 s by default). */
export const BUDGET_WAIT_MS = 1000;

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

export class ReviewBodyReader {
  readonly #budget: MemoryBudget;
  readonly #bodyLimitBytes: number;
  /** Larger bodies are counted; smaller ones are charged the dearest cost JSON can have. */
  readonly #countedAbove: number;
  readonly #reservations = new WeakMap<IncomingMessage, Reservation>();

  constructor(budget: MemoryBudget, bodyLimitBytes: number) {
    this.#budget = budget;
    this.#bodyLimitBytes = bodyLimitBytes;
    this.#countedAbove = Math.floor(budget.limitBytes / 3 / WORST_BYTES_PER_BODY_BYTE);
  }

  /**
   * onRequest: reserves what reading the body will hold, and releases it when the reply has
   * gone. A promise only when the request has to wait: this runs for every review.
   */
  reserve(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const declared = declaredLength(request);
    if (declared === 0) return undefined;
    if (declared !== undefined && declared > this.#bodyLimitBytes) {
      // Its body is left unread, so the connection cannot carry another request.
      reply.header('connection', 'close');
      throw new RequestError(413, 'body_too_large', bodyTooLargeMessage(this.#bodyLimitBytes));
    }
    const bytes =
      declared === undefined
        ? readingBytes(this.#bodyLimitBytes)
        : declared <= this.#countedAbove
          ? unscannedParseBytes(declared)
          : readingBytes(declared);
    // Listened to before any wait: a client that leaves while its request waits must not keep
    // the reservation it is granted afterwards.
    let held: Reservation | undefined;
    let gone = false;
    reply.raw.once('close', () => {
      gone = true;
      held?.release();
    });
    const hold = (reservation: Reservation) => {
      if (gone) return reservation.release();
      held = reservation;
      this.#reservations.set(request.raw, reservation);
    };
    const taking = this.#budget.reserve(bytes);
    if (!(taking instanceof Promise)) {
      hold(taking);
      return undefined;
    }
    return this.#refused(taking).then(hold, (error: unknown) => {
      // Refused unread: close rather than read the body only to drop it, which costs as much
      // memory as keeping it until V8 collects the chunks.
      reply.header('connection', 'close');
      throw error;
    });
  }

  /**
   * The content-type parser: the body as JSON, within the reservation. Callbacks, with a
   * promise only when the request has to wait for more of the budget: this runs for every review.
   */
  read(
    request: FastifyRequest,
    payload: NodeJS.ReadableStream,
    done: (error: Error | null, body?: unknown) => void,
  ): void {
    const declared = declaredLength(request);
    const counter =
      declared === undefined || declared > this.#countedAbove
        ? new JsonStructureCounter(MAX_REVIEW_DEPTH)
        : undefined;
    readBody(payload, declared, this.#bodyLimitBytes, counter, (error, body) => {
      if (error || !body) return done(error);
      const parse = () => {
        let value: unknown;
        try {
          value = parseJsonBody(body.text);
        } catch (failure) {
          return done(failure as Error);
        }
        done(null, value);
      };
      const reservation = this.#reservations.get(request.raw);
      if (!reservation) return parse();
      const structure = counter?.structure;
      const growing = reservation.resize(
        structure ? estimateParseBytes(body.bytes, structure) : unscannedParseBytes(body.bytes),
      );
      if (!growing) return parse();
      this.#refused(growing, structure).then(parse, done);
    });
  }

  /** The budget's refusal as the reply the client gets. */
  async #refused<T>(
    taking: Promise<T>,
    structure?: { containers: number; strings: number },
  ): Promise<T> {
    try {
      return await taking;
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

const TOO_DEEP = `the body nests deeper than ${MAX_REVIEW_DEPTH} levels: the kube-apiserver accepts no object nested more than 10000 levels deep`;

/**
 * The body as text. With a counter, each chunk is counted and decoded as it comes, and what
 * follows nesting deeper than the apiserver sends is no longer kept: no copy of the whole body is ever
 * made outside V8's heap, where glibc would keep the memory after it is freed (a 6 MiB Buffer
 * per large review left the server's RSS 40–60 MiB higher in a 256 MiB cgroup). Without one
 * (small bodies), a single chunk is decoded as it came. Events rather than `for await`, which
 * costs a promise per chunk.
 */
function readBody(
  payload: NodeJS.ReadableStream,
  declared: number | undefined,
  limit: number,
  counter: JsonStructureCounter | undefined,
  callback: (error: RequestError | null, body?: { text: string; bytes: number }) => void,
): void {
  const decoder = counter ? new StringDecoder('utf8') : undefined;
  const parts: string[] = [];
  const chunks: Buffer[] = [];
  let received = 0;
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
  };
  const fail = (error: RequestError) => {
    stop();
    callback(error);
  };
  const onData = (chunk: Buffer) => {
    if (received + chunk.length > (declared ?? limit)) {
      return fail(
        declared === undefined
          ? new RequestError(413, 'body_too_large', bodyTooLargeMessage(limit))
          : new RequestError(400, 'bad_request', LENGTH_MISMATCH),
      );
    }
    received += chunk.length;
    if (!counter || !decoder) {
      chunks.push(chunk);
      return;
    }
    counter.add(chunk);
    // Too deep: the rest is read but not kept, so that the client, still sending, gets the answer.
    if (!counter.tooDeep) parts.push(decoder.write(chunk));
  };
  const onEnd = () => {
    stop();
    if (declared !== undefined && received !== declared) {
      return callback(new RequestError(400, 'bad_request', LENGTH_MISMATCH));
    }
    if (counter?.tooDeep) return callback(new RequestError(400, 'body_too_complex', TOO_DEEP));
    const text = decoder
      ? parts.join('') + decoder.end()
      : chunks.length === 1
        ? (chunks[0] as Buffer).toString('utf8')
        : Buffer.concat(chunks, received).toString('utf8');
    callback(null, { text, bytes: received });
  };
  const onError = (error: Error) =>
    fail(
      new RequestError(400, 'bad_request', `the body could not be read: ${error.message}`, {
        cause: error,
      }),
    );
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
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
