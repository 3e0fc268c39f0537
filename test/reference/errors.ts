// The error type of the reference decoders (codes as docs/FORMAT.md "Errors").
export type RefErrorCode = 'TRUNCATED' | 'CHECKSUM' | 'FORMAT' | 'UNSUPPORTED' | 'LIMIT' | 'PATH';

export class RefError extends Error {
  constructor(
    readonly code: RefErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'RefError';
  }
}
