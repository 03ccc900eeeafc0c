import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/** IDX magic number of an unsigned-byte 1-D file (labels): `0x00000801`. */
export const IDX_MAGIC_LABELS = 0x00000801;
/** IDX magic number of an unsigned-byte 3-D file (images): `0x00000803`. */
export const IDX_MAGIC_IMAGES = 0x00000803;
/** IDX data-type byte for unsigned bytes, the only type this reader accepts. */
export const IDX_DTYPE_UBYTE = 0x08;

/** A parsed IDX file: its dimensions (outermost first) and its raw unsigned-byte data. */
export interface IdxFile {
  /** Dimensions, outermost first, e.g. `[10000, 28, 28]` for 10 000 images of 28×28. */
  dims: number[];
  /** Row-major data, `dims.reduce((a, b) => a * b)` bytes (a view into the file's bytes). */
  data: Uint8Array;
}

/** What the caller expects of an IDX file; any mismatch is reported as an {@link IdxFormatError}. */
export interface IdxExpect {
  /** Full magic number, e.g. {@link IDX_MAGIC_IMAGES}; also fixes the number of dimensions. */
  magic?: number;
  /** Exact dimensions; `null` at a position accepts any size there (e.g. `[null, 28, 28]`). */
  dims?: (number | null)[];
}

/**
 * Error for a malformed IDX file. The message names the file, the offending field and the expected
 * form, e.g. `t10k-labels: IDX dtype byte (byte 2) must be 0x08 (unsigned byte), got 0x0d`.
 */
export class IdxFormatError extends Error {
  /** The file (path or name) being read. */
  readonly file: string;
  /** The offending field: `gzip`, `magic`, `dtype`, `ndims`, `dims`, `length`, `labels`, `count` … */
  readonly field: string;
  constructor(file: string, field: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'IdxFormatError';
    this.file = file;
    this.field = field;
  }
}

const hex = (n: number, width = 2) => '0x' + n.toString(16).padStart(width, '0');

/** True when `bytes` starts with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses IDX bytes (gzip-compressed or raw; gzip is detected by its magic, not by the name).
 * Every header field is validated: the two zero bytes and the dtype byte of the magic, the number
 * of dimensions, each dimension, and the total length (header + product of dimensions).
 *
 * @param bytes file contents.
 * @param file name used in error messages (usually the path).
 * @param expect optional magic number and dimensions the caller requires.
 * @throws IdxFormatError naming `file` and the field.
 */
export function parseIdx(bytes: Uint8Array, file: string, expect: IdxExpect = {}): IdxFile {
  let buf = bytes;
  if (isGzip(buf)) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      const why = (e as Error).message;
      throw new IdxFormatError(
        file,
        'gzip',
        `gzip data is corrupt or truncated (${why}); expected a complete gzip stream of an IDX file`,
      );
    }
  }
  if (buf.length < 4) {
    throw new IdxFormatError(
      file,
      'magic',
      `truncated file: ${buf.length} bytes, expected at least the 4-byte IDX magic number`,
    );
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new IdxFormatError(
      file,
      'magic',
      `IDX magic number must start with two zero bytes (0x0000TTNN), got ${hex(buf[0])} ${hex(buf[1])}` +
        (isGzip(bytes) ? '' : ' (not an IDX file, nor gzip)'),
    );
  }
  const dtype = buf[2];
  const ndims = buf[3];
  const magic = (dtype << 8) | ndims;
  if (dtype !== IDX_DTYPE_UBYTE) {
    throw new IdxFormatError(
      file,
      'dtype',
      `IDX dtype byte (byte 2) must be ${hex(IDX_DTYPE_UBYTE)} (unsigned byte), got ${hex(dtype)}`,
    );
  }
  if (expect.magic !== undefined && magic !== expect.magic) {
    throw new IdxFormatError(
      file,
      'magic',
      `IDX magic number must be ${hex(expect.magic, 8)} (${describeMagic(expect.magic)}), ` +
        `got ${hex(magic, 8)} (${ndims} dimension${ndims === 1 ? '' : 's'})`,
    );
  }
  if (ndims < 1) {
    throw new IdxFormatError(file, 'ndims', `IDX number of dimensions (byte 3) must be ≥ 1, got 0`);
  }
  const header = 4 + 4 * ndims;
  if (buf.length < header) {
    throw new IdxFormatError(
      file,
      'dims',
      `truncated header: ${ndims} dimensions need a ${header}-byte header, but the file has ${buf.length} bytes`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (expect.dims !== undefined) {
    const want = expect.dims;
    const ok = want.length === dims.length && want.every((d, i) => d === null || d === dims[i]);
    if (!ok) {
      const form = '[' + want.map((d) => (d === null ? 'n' : String(d))).join(', ') + ']';
      throw new IdxFormatError(
        file,
        'dims',
        `IDX dimensions must be ${form} (big-endian uint32 after the magic), got [${dims.join(', ')}]`,
      );
    }
  }
  const size = dims.reduce((a, b) => a * b, 1);
  const expected = header + size;
  if (buf.length < expected) {
    throw new IdxFormatError(
      file,
      'length',
      `truncated file: dims [${dims.join(', ')}] need ${header} + ${size} = ${expected} bytes, got ${buf.length}`,
    );
  }
  if (buf.length > expected) {
    throw new IdxFormatError(
      file,
      'length',
      `file length must be header + product of dims = ${header} + ${size} = ${expected} bytes, ` +
        `got ${buf.length} (${buf.length - expected} trailing bytes)`,
    );
  }
  // A plain Uint8Array view (not a Buffer, whose slice() would not copy).
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + header, size) };
}

function describeMagic(magic: number): string {
  if (magic === IDX_MAGIC_LABELS) return 'unsigned-byte labels, 1 dimension';
  if (magic === IDX_MAGIC_IMAGES) return 'unsigned-byte images, 3 dimensions';
  return `dtype ${hex(magic >> 8)}, ${magic & 0xff} dimensions`;
}

/**
 * Reads and validates an IDX file (gzip-compressed or raw) from disk.
 *
 * @param path file to read.
 * @param expect optional magic number and dimensions the caller requires.
 * @throws Error naming the path when it cannot be read; {@link IdxFormatError} when malformed.
 */
export function readIdx(path: string, expect: IdxExpect = {}): IdxFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read IDX file (${(e as Error).message})`);
  }
  return parseIdx(bytes, path, expect);
}
