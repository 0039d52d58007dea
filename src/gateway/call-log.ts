import { GatewayError } from './errors.js';
import type { CallFace, CallLogRepository, CallRecord } from '../storage/gateway-ports.js';
import type { AppMetrics } from './app-metrics.js';

/** Batching settings of the call log (docs/adr/0062). */
export interface CallLogOptions {
  /** Write what is buffered at least this often, ms (default 1000). */
  flushIntervalMs?: number;
  /** Write as soon as this many records wait, and never more than this in one write (default 500). */
  maxBatch?: number;
  /** Records kept while the database does not take them; newer ones are dropped beyond this (default 20000). */
  maxBuffered?: number;
  /** Told how many records were dropped (a full buffer, or a failed write at close). */
  onDrop?: (count: number) => void;
  /** Told when a write failed (the records stay buffered and are tried again). */
  onError?: (err: unknown) => void;
}

/**
 * Records gateway calls without a database commit per call: `record` only appends to an
 * in-memory buffer; a timer (or a full batch) writes the buffer in one transaction per batch
 * (docs/adr/0062; the storage uses INSERTs of 500, 100, 10 and 1 rows, each compiled once). The buffer is bounded:
 * while the database is down, records beyond
 * `maxBuffered` are dropped and counted, and requests never wait. `close` (the server's
 * `onClose` hook) writes what is left, so an orderly shutdown loses nothing; a crash loses at
 * most the last `flushIntervalMs` of records — telemetry, never authorization state.
 */
export class CallLogWriter {
  private buffer: CallRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  /** After a failed write, a full batch waits for the timer instead of writing at once. */
  private failedUntil = 0;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly repo: CallLogRepository,
    private readonly options: CallLogOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.maxBuffered = Math.max(this.maxBatch, options.maxBuffered ?? 20_000);
  }

  /** Records waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Buffer one call record; never waits and never throws. */
  record(rec: CallRecord): void {
    if (this.closed || this.buffer.length >= this.maxBuffered) {
      this.options.onDrop?.(1);
      return;
    }
    this.buffer.push(rec);
    if (this.buffer.length >= this.maxBatch && Date.now() >= this.failedUntil) void this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * Write everything buffered now, in writes of at most `maxBatch` rows, one at a time.
   * Resolves when the buffer is empty or a write failed (the failed rows go back to the front
   * of the buffer and the timer tries again).
   */
  flush(): Promise<void> {
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
      if (this.buffer.length > 0) this.schedule();
    });
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.maxBatch);
      try {
        await this.repo.append(batch);
      } catch (err) {
        // Put the batch back in front (newer records are dropped first if there is no room).
        this.buffer = batch.concat(this.buffer);
        const over = this.buffer.length - this.maxBuffered;
        if (over > 0) {
          this.buffer.length = this.maxBuffered;
          this.options.onDrop?.(over);
        }
        this.failedUntil = Date.now() + this.flushIntervalMs;
        this.options.onError?.(err);
        return;
      }
    }
  }

  /** Stop the timer and write what is buffered; what cannot be written is dropped and counted. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.drain();
    if (this.buffer.length > 0) {
      this.options.onDrop?.(this.buffer.length);
      this.buffer = [];
    }
  }
}

/** What a gateway route learned about one call, filled in as the call is checked. */
export interface CallTrace {
  face: CallFace;
  method?: string;
  appKey?: string;
  /**
   * Set once `appKey` names an existing app: only such calls are recorded (an unknown AppKey has no console to show
   * them).
   */
  appKnown?: boolean;
  storeId?: number;
  sellerId?: number;
  /** The error the call ended with, if any. */
  error?: unknown;
}

/**
 * Connects gateway routes to the call log: a route `track`s its trace, and the server's
 * `onResponse` hook calls `finish` with the final status and duration.
 */
export class CallTracker {
  private readonly traces = new WeakMap<object, CallTrace>();

  constructor(
    readonly writer: CallLogWriter,
    private readonly now: () => number,
    /** Per-app API metrics (every tracked call, known app or not). */
    private readonly metrics?: AppMetrics,
  ) {}

  /** Remember the trace of a request (the route keeps filling it in). */
  track(request: object, trace: CallTrace): void {
    this.traces.set(request, trace);
  }

  /** Record the call of a finished request, when it was a gateway call of a known app. */
  finish(request: object, httpStatus: number, elapsedMs: number): void {
    const t = this.traces.get(request);
    if (!t) return;
    this.traces.delete(request);
    let code: number | null = null;
    let subCode: string | null = null;
    if (t.error instanceof GatewayError) {
      code = t.error.code;
      subCode = t.error.subCode ?? null;
    } else if (t.error !== undefined || httpStatus >= 400) {
      code = 15;
      subCode = 'isp.unknown-error';
    }
    this.metrics?.observe(t.appKey, t.appKnown === true, t.face, code, elapsedMs);
    if (!t.appKnown || t.appKey === undefined) return;
    this.writer.record({
      appKey: t.appKey,
      method: t.method ?? '',
      face: t.face,
      storeId: t.storeId ?? null,
      sellerId: t.sellerId ?? null,
      code,
      subCode,
      httpStatus,
      durationMs: Math.max(0, Math.round(elapsedMs)),
      at: this.now(),
    });
  }
}
