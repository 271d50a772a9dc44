/**
 * Reading LSP messages (`Content-Length: N\r\n\r\n` + N bytes of JSON) so
 * that one bad message costs only itself. vscode-jsonrpc's reader stops for
 * good at a malformed header (short, negative or missing Content-Length):
 * the server stayed alive and never answered again. Here a malformed header
 * is reported and the reader skips to the next `Content-Length:`; a body that
 * is not JSON is reported and dropped; a length past the limit is refused.
 * A wrong length that cuts or swallows a neighbour loses those messages, and
 * the stream recovers at the next header.
 */
import { AbstractMessageReader, type DataCallback, type Disposable, type Message, type MessageReader } from 'vscode-jsonrpc';

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
const CONTENT_LENGTH = Buffer.from('Content-Length:', 'ascii');
/** Headers longer than this without an end are garbage. */
const MAX_HEADER_BYTES = 8192;

export class RecoveringMessageReader extends AbstractMessageReader implements MessageReader {
  private buf = Buffer.alloc(64 * 1024);
  private start = 0;
  private end = 0;
  /** Body length once a header has been read; undefined while reading headers. */
  private bodyLength?: number;
  private callback?: DataCallback;
  /** Where problems with the stream are said (the client's log once connected; stderr before). */
  report: (message: string) => void = (m) => process.stderr.write(`querylens: ${m}\n`);

  constructor(
    private readonly readable: NodeJS.ReadableStream,
    /** The largest body accepted, in bytes (a 10 MB document is fine). */
    private readonly maxBodyBytes = 256 * 1024 * 1024,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (d: Buffer | string) => this.push(typeof d === 'string' ? Buffer.from(d, 'utf8') : d);
    const onError = (e: Error) => this.fireError(e);
    const onClose = () => this.fireClose();
    this.readable.on('data', onData);
    this.readable.on('error', onError);
    this.readable.on('close', onClose);
    this.readable.on('end', onClose);
    return {
      dispose: () => {
        this.readable.off('data', onData);
        this.readable.off('error', onError);
        this.readable.off('close', onClose);
        this.readable.off('end', onClose);
      },
    };
  }

  /** Appends bytes (amortised growth: a 10 MB body arriving in 64 KB chunks is copied O(1) times per byte) and reads what is complete. */
  push(chunk: Buffer): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      const size = Math.max(this.buf.length, live + chunk.length) * 2;
      const next = live + chunk.length <= this.buf.length ? this.buf : Buffer.alloc(size);
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
    this.drain();
  }

  private drain(): void {
    for (;;) {
      if (this.bodyLength === undefined) {
        if (!this.readHeader()) return;
      } else {
        if (this.end - this.start < this.bodyLength) return;
        const body = this.buf.toString('utf8', this.start, this.start + this.bodyLength);
        this.start += this.bodyLength;
        this.bodyLength = undefined;
        this.deliver(body);
      }
      if (this.start === this.end) this.start = this.end = 0;
    }
  }

  /** Reads one header block; false when more bytes are needed. */
  private readHeader(): boolean {
    const live = this.buf.subarray(this.start, this.end);
    const at = live.indexOf(HEADER_END);
    if (at < 0) {
      if (live.length > MAX_HEADER_BYTES) return this.resync(`a header of more than ${MAX_HEADER_BYTES} bytes without an end`);
      return false;
    }
    const header = live.toString('ascii', 0, at);
    let length: number | undefined;
    let bad: string | undefined;
    for (const line of header.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        bad = 'a header line without a name';
        break;
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,12}$/.test(value)) bad = 'a Content-Length that is not a non-negative integer';
        else if (Number(value) > this.maxBodyBytes) bad = `a Content-Length over the limit of ${this.maxBodyBytes} bytes`;
        else length = Number(value);
      } else if (name === 'content-type' && !/charset\s*=\s*"?utf-?8"?/i.test(value) && /charset/i.test(value)) {
        bad = 'a charset other than utf-8';
      }
    }
    if (!bad && length === undefined) bad = 'no Content-Length';
    if (bad) return this.resync(bad);
    this.start += at + HEADER_END.length;
    this.bodyLength = length;
    return true;
  }

  /** Reports a malformed header and skips to the next `Content-Length:` (or keeps the tail that might start one). */
  private resync(why: string): boolean {
    this.report(`malformed LSP message header (${why}); skipped to the next message`);
    const live = this.buf.subarray(this.start, this.end);
    const next = live.indexOf(CONTENT_LENGTH, 1);
    if (next > 0) {
      this.start += next;
      return true;
    }
    // Keep a tail that could be the start of the next header.
    this.start = Math.max(this.start, this.end - (CONTENT_LENGTH.length - 1));
    return false;
  }

  private deliver(body: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(body);
    } catch {
      this.report(`an LSP message body of ${Buffer.byteLength(body)} bytes is not valid JSON; dropped`);
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.report('an LSP message body is not a JSON object; dropped');
      return;
    }
    this.callback?.(msg as Message);
  }
}
