// dhātu plans: reversible stages + a coder, stored as container codec 16 (docs/DHATU.md).
export type { DecodeContext, Dhatu, StageKind, StageResult } from './stage.js';
export { DHATUS, planFail } from './stage.js';
export { decodePlan, planStages, planStats, writePlan, PLAN_MAX_STAGES, PLAN_MAX_STREAMS } from './plan.js';
export type { ParsedStage, PlanStageStat } from './plan.js';
export { hasStage, registerStage, stageKind, stageKinds } from './registry.js';
export { encodePlan, sniffFormat } from './planner.js';
export type { FormatHint, PlanOptions, PlanStageInfo, PlanStats } from './planner.js';
export { CODER_PLZ, CODER_STAGE_ID, CODER_STORE, coderById, coderForward, registerCoder } from './stages/coder.js';
export type { Coder, CoderOptions } from './stages/coder.js';
export { ITER_RUNS, iterRunsForward } from './stages/iter.js';
export { TRANS_DELTA, TRANS_TRANSPOSE, TRANS_X86, TRANS_XOR, deltaForward, transposeForward, x86Forward, xorForward } from './stages/trans.js';
export { TOKEN_WORDS, tokenForward } from './stages/token.js';
export type { TokenOptions } from './stages/token.js';
export { SPLIT_COLUMNS, SPLIT_JSON, sniffColumns, splitColumnsForward, splitJsonForward } from './stages/split.js';
export { SPLIT_WASM, splitWasmForward } from './stages/wasm-split.js';
