// The PaniniError code a promise rejects with: 'no error' when it resolves; anything untyped is rethrown, so a test
// that expects a code also proves the error was typed.
import { isPaniniError } from '../../src/errors.js';

export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isPaniniError(e)) throw e;
    return e.code;
  }
  return 'no error';
}
