// The asynchronous pipeline (docs/PIPELINE.md): chunk now, compress later on workers, validate from the stored results.
export * from './types.js';
export { SqliteQueue, type SqliteQueueOptions } from './queue-sqlite.js';
export { RedisQueue, type RedisQueueOptions } from './queue-redis.js';
export { openQueue, type OpenQueueOptions } from './queue.js';
export { chunkInput, patternOf, resolveChunkInput, DEFAULT_BLOCK, type ChunkInputOptions } from './chunker.js';
export { chunkKey, resultKey, recipeKey, jobFileKey, parseRecipe, encodeRecipe, newRecipeId, PATTERNS, STRATEGIES, RECIPE_FORMAT, type Recipe, type RecipeChunk, type RecipeEntry, type Pattern, type PipelineStrategy } from './recipe.js';
export { readRecipe, listRecipes, validatePipeline, reconstruct, type PipelineValidation } from './validate.js';
export { assembleContainer, type AssembleOptions, type AssembleResult } from './assemble.js';
export { startWorker, type WorkerOptions, type WorkerHandle, type WorkerDevice } from './worker.js';
export { submitJob, resumePending, jobResult, readJobFile, enqueueRecipes, chunkTasks, checkJobRequest, confine, JOB_OPTION_KEYS, type Pipeline, type JobRequest, type JobFile } from './jobs.js';
