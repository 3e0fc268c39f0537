// Generic (unrecognised or binary without a parser): no semantic boundaries, pieces of equal size ≤ maxSize.
import { sizeGrammar } from '../cut.js';
import type { Grammar } from '../types.js';

export function genericGrammar(_data: Uint8Array): Grammar {
  return sizeGrammar;
}
