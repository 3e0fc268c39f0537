// How the job server answers failures: every error becomes `{error: {code, message, where}}` with an HTTP status
// derived from its PaniniError code (docs/SERVER.md "Errors").
import { PaniniError, type ErrorCode, type ErrorWhere } from '../errors.js';

/** HTTP status for each PaniniError code; codes not listed answer 500. */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  OPTION: 400,
  PATH: 403,
  NOT_FOUND: 404,
  LIMIT: 413,
  AUTH: 401,
  EXISTS: 409,
  STATE: 409,
};

export interface ErrorBody {
  error: { code: string; message: string; where: ErrorWhere };
}

export function statusOf(code: string): number {
  return HTTP_STATUS[code as ErrorCode] ?? 500;
}

/** fastify's own errors (bad JSON, schema validation, body too large, unsupported media type) as PaniniErrors. */
export function toPaniniError(e: unknown): PaniniError | undefined {
  if (e instanceof PaniniError) return e;
  const err = e as { statusCode?: number; code?: string; message?: string; validation?: { instancePath?: string }[] };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const status = typeof err?.statusCode === 'number' ? err.statusCode : 500;
  if (err?.validation) {
    const at = err.validation[0]?.instancePath?.replace(/^\//, '').replace(/\//g, '.') || 'body';
    return new PaniniError('OPTION', `invalid request: ${message}`, { option: at });
  }
  if (status === 413) return new PaniniError('LIMIT', `request body too large: ${message}`, { option: 'body' });
  if (status === 404) return new PaniniError('NOT_FOUND', message, {});
  if (status >= 400 && status < 500) {
    const what = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e instanceof SyntaxError ? 'malformed JSON body' : 'invalid request';
    return new PaniniError('OPTION', `${what}: ${message}`, { option: 'body' });
  }
  return undefined;
}

/** The status and JSON body for any failure; errors that are no PaniniError answer 500 with code INTERNAL. */
export function errorReply(e: unknown): { status: number; body: ErrorBody; internal: boolean } {
  const p = toPaniniError(e);
  if (!p) {
    const message = e instanceof Error ? e.message : String(e);
    return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error: ${message}`, where: {} } }, internal: true };
  }
  return { status: statusOf(p.code), body: { error: { code: p.code, message: p.message, where: p.where ?? {} } }, internal: false };
}
