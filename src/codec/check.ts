// The canonical-form checks shared by every coded payload of the container (deflate, plz, pfz, dhātu).
import { PaniniError } from '../errors.js';

/**
 * The checks every coded payload passes before it is decoded: the level in `params` is 1–9, and (canonical form) the
 * payload is shorter than the original, since an encoder stores a chunk its codec does not shrink.
 */
export function checkCoded(name: string, params: number, storedLength: number, originalLength: number, where: { offset: number; record: number }): void {
  const at = `record ${where.record} at byte ${where.offset}`;
  if (params < 1 || params > 9) throw new PaniniError('FORMAT', `${at}: ${name} level ${params} out of 1–9`, where);
  if (storedLength >= originalLength) {
    throw new PaniniError('FORMAT', `${at}: ${name} payload (${storedLength} bytes) is not smaller than the original (${originalLength})`, where);
  }
}
