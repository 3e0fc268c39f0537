// The stage registry: stage id (u8, stored in the plan) → the decode side (StageKind). The decoder looks every id
// up here; an unknown id is UNSUPPORTED. Ids are never reused (ranges in stage.ts). The built-in kinds (CODER, ITER,
// TRANS, TOKEN, SPLIT, COMM, REFLATE, the image transform) form a table built on first lookup, so importing this
// module does nothing by itself; registerStage adds kinds of an embedding application.
import { PaniniError } from '../errors.js';
import type { StageKind } from './stage.js';
import { CODER_STAGE } from './stages/coder.js';
import { ITER_STAGES } from './stages/iter.js';
import { SPLIT_STAGES } from './stages/split.js';
import { TOKEN_STAGES } from './stages/token.js';
import { TRANS_STAGES } from './stages/trans.js';
import { WASM_STAGES } from './stages/wasm-split.js';
import { imageStage } from './stages/image.js';
import { commSources, commStage, commZStage } from './comm.js';
import { reflateStage } from './reflate/index.js';

let table: Map<number, StageKind> | undefined;

function kinds(): Map<number, StageKind> {
  if (!table) {
    table = new Map();
    const builtin: StageKind[] = [
      CODER_STAGE,
      ...ITER_STAGES,
      ...TRANS_STAGES,
      ...TOKEN_STAGES,
      ...SPLIT_STAGES,
      ...WASM_STAGES,
      { ...commStage, sources: commSources },
      commZStage,
      imageStage,
      reflateStage,
    ];
    for (const k of builtin) add(table, k);
  }
  return table;
}

/** Registers a stage kind; registering the same object twice is a no-op, another kind under a used id throws. */
export function registerStage(kind: StageKind): void {
  add(kinds(), kind);
}

function add(map: Map<number, StageKind>, kind: StageKind): void {
  if (!Number.isInteger(kind.id) || kind.id < 1 || kind.id > 255) {
    throw new PaniniError('OPTION', `stage id must be an integer from 1 to 255, got ${String(kind.id)}`, { option: 'id' });
  }
  const had = map.get(kind.id);
  if (had === kind) return;
  if (had) throw new PaniniError('OPTION', `stage id ${kind.id} is already registered (${had.name}); ids are never reused`, { option: 'id' });
  map.set(kind.id, kind);
}

/** The kind registered under `id`; PaniniError UNSUPPORTED naming the id when none is. */
export function stageKind(id: number): StageKind {
  const k = kinds().get(id);
  if (!k) throw new PaniniError('UNSUPPORTED', `dhātu plan uses stage id ${id}, which this decoder does not know`);
  return k;
}

/** Whether `id` is registered (no throw). */
export function hasStage(id: number): boolean {
  return kinds().has(id);
}

/** Every registered kind, by id. */
export function stageKinds(): StageKind[] {
  return [...kinds().values()].sort((a, b) => a.id - b.id);
}

