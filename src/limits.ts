// Limits shared by the encoder's stages and the container format (docs/FORMAT.md "Limits").

/** The most bytes one container record holds, original or stored (64 MiB). */
export const MAX_RECORD = 64 << 20;
