/**
 * Every failure panini-fs reports is a PaniniError: a stable `code` (one of ErrorCode), a message that says what
 * went wrong and where, and optional structured details (`where`: an offset, a chunk index, an option name, a path).
 */
export const ErrorCode = {
  /** an option is unknown, of the wrong type or out of range */
  OPTION: 'OPTION',
  /** a function was called before init() or on a finished object */
  STATE: 'STATE',
  /** input ended before a structure it declares */
  TRUNCATED: 'TRUNCATED',
  /** a CRC32 or SHA-256 does not match: the bytes were altered */
  CHECKSUM: 'CHECKSUM',
  /** bytes that are not a valid container, or inconsistent fields */
  FORMAT: 'FORMAT',
  /** a valid container that uses a version or codec this decoder does not know */
  UNSUPPORTED: 'UNSUPPORTED',
  /** a declared size exceeds a limit (maxOutputSize, format bounds) */
  LIMIT: 'LIMIT',
  /** the operation was aborted through its AbortSignal */
  ABORTED: 'ABORTED',
  /** a file system or stream operation failed */
  IO: 'IO',
  /** an archive path is unsafe (absolute, `..`, escaping link) */
  PATH: 'PATH',
  /** the target exists and overwriting was not requested */
  EXISTS: 'EXISTS',
  /** the WebAssembly core could not be loaded */
  WASM: 'WASM',
  /** a store object, snapshot, key or repository that was asked for does not exist */
  NOT_FOUND: 'NOT_FOUND',
  /** a storage backend failed (I/O error, server error, timeout) after its retries */
  STORE: 'STORE',
  /** a password, key or credential was refused (wrong repository password, store credentials rejected) */
  AUTH: 'AUTH',
  /** a model is unknown to the registry, does not match its SHA-256, or no ONNX runtime could run it */
  MODEL: 'MODEL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Process exit status for each code (documented in README "CLI exit codes"). */
export const EXIT_STATUS: Record<ErrorCode, number> = {
  OPTION: 2,
  STATE: 70,
  TRUNCATED: 3,
  CHECKSUM: 3,
  FORMAT: 3,
  UNSUPPORTED: 4,
  LIMIT: 5,
  ABORTED: 130,
  IO: 6,
  PATH: 7,
  EXISTS: 8,
  WASM: 70,
  NOT_FOUND: 9,
  STORE: 10,
  AUTH: 11,
  MODEL: 12,
};

export interface ErrorWhere {
  option?: string;
  /** a byte offset: in the container for container errors, in the input for parser errors */
  offset?: number;
  /** a container record's index */
  record?: number;
  /** a pipeline chunk's index (its place in the recipe) */
  chunk?: number;
  path?: string;
  [key: string]: unknown;
}

export class PaniniError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorWhere | undefined;
  constructor(code: ErrorCode, message: string, where?: ErrorWhere, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaniniError';
    this.code = code;
    this.where = where;
  }
}

export function isPaniniError(e: unknown): e is PaniniError {
  return e instanceof PaniniError;
}
