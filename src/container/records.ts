// Per-record listing of a container, read from its headers (checked) without decoding payloads: where each record's
// bytes sit in the original, how it was stored, and for dhātu records the stage chain of its plan. What a chunk map
// (examples/browser) draws.
import { PaniniError } from '../errors.js';
import { assertBytes } from '../validate.js';
import { codecName } from './codecs.js';
import { CODEC_DHATU } from '../dhatu/adapter/record.js';
import { planStats } from '../dhatu/plan.js';
import { crc32 } from '../hash/crc32.js';
import { bytesSource, openContainer } from './read.js';
import { hex } from './format.js';
import { refTargetError } from './ref.js';
import { HEADER_SIZE, KIND_DATA, RECORD_HEADER_SIZE, readFrame, readIndexEntry } from './format.js';

export interface RecordListing {
  /** record number, in container order */
  index: number;
  /** DATA: stored here; REF: repeats the DATA record `target` */
  kind: 'data' | 'ref';
  /** where the record's bytes start in the original input, and how many */
  offset: number;
  length: number;
  /** payload bytes in the container (0 for REF) */
  storedLength: number;
  /** the record's codec (store, deflate, plz, pfz, dhatu); REF records name their target's */
  codec: string;
  /** REF: the DATA record it repeats; DATA: -1 */
  target: number;
  /** SHA-256 of the record's original bytes */
  sha256: string;
  /** dhātu records: the plan's stages in encode order, each with its primitive and the bytes it handled; else [] */
  stages: { name: string; dhatu: string; handled: number }[];
}

/** Lists every record of a container with its place in the original and, for dhātu records, its stage chain. */
export async function listRecords(container: Uint8Array): Promise<RecordListing[]> {
  assertBytes('container', container);
  const src = bytesSource(container);
  const info = await openContainer(src);
  const out: RecordListing[] = [];
  for (let i = 0; i < info.footer.recordCount; i++) {
    const e = readIndexEntry(info.index, i, info.indexOffset);
    if (e.frameOffset < HEADER_SIZE || e.frameOffset + RECORD_HEADER_SIZE > info.footer.endOffset) {
      throw new PaniniError('FORMAT', `index entry ${i} points to byte ${e.frameOffset}, outside the records (bytes ${HEADER_SIZE}..${info.footer.endOffset})`, { record: i });
    }
    const f = readFrame(await src.read(e.frameOffset, RECORD_HEADER_SIZE), e.frameOffset, i);
    if (f.kind === 0) throw new PaniniError('FORMAT', `index entry ${i} points to the END frame`, { record: i });
    const rec: RecordListing = {
      index: i,
      kind: f.kind === KIND_DATA ? 'data' : 'ref',
      offset: e.originalOffset,
      length: f.originalLength,
      storedLength: f.kind === KIND_DATA ? f.storedLength : 0,
      codec: '',
      target: f.kind === KIND_DATA ? -1 : f.target,
      sha256: hex(f.sha256),
      stages: [],
    };
    if (f.kind === KIND_DATA) {
      rec.codec = codecName(f.codec);
      if (f.codec === CODEC_DHATU) {
        const where = `record ${i} at byte ${e.frameOffset}`;
        const stored = await src.read(e.frameOffset + RECORD_HEADER_SIZE, f.storedLength);
        if (crc32(stored) !== f.payloadCrc) throw new PaniniError('CHECKSUM', `${where}: payload is corrupt (CRC32)`, { offset: e.frameOffset, record: i });
        rec.stages = planStats(stored, where).stages.map((s) => ({ name: s.name, dhatu: s.dhatu, handled: s.handled }));
      }
    } else {
      const t = out[f.target];
      if (!t || t.kind !== 'data') throw refTargetError(i, f.target);
      rec.codec = t.codec;
      rec.stages = t.stages;
    }
    out.push(rec);
  }
  return out;
}
