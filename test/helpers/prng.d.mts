export declare function mulberry32(seed: number): () => number;
export declare function prngBytes(seed: number, n: number): Uint8Array<ArrayBuffer>;
