// Limits shared by the encoder's stages and the container format (docs/FORMAT.md "Limits").

/** The most bytes one container record holds, original or stored (64 MiB). */
export const MAX_RECORD = 64 << 20;

/** How far back the dhātu codec's long-range matcher looks when the container's window is unlimited (it keeps this many bytes). */
export const MATCH_HISTORY_CAP = 512 << 20;
