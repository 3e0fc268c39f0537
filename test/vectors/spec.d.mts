export declare function words(seed: number, n: number): Uint8Array;
export declare function periodic(seed: number, period: number, n: number): Uint8Array;
export declare const INPUTS: Record<string, () => Uint8Array>;
export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtime: number;
  data?: () => Uint8Array;
  target?: string;
}
export declare const TREE: TreeEntry[];
export declare function writeTree(root: string): void;
export declare function treeOutput(): Uint8Array;
export interface Vector {
  file: string;
  kind: 'bytes' | 'file' | 'tree';
  input?: string;
  options: Record<string, unknown>;
  about: string;
  /** written by an earlier encoder and kept as it is: decoded, never rebuilt */
  frozen?: boolean;
}
export declare const VECTORS: Vector[];
export interface VectorApi {
  compress(data: Uint8Array, options?: object): Promise<Uint8Array>;
  compressFile(path: string, out: string, options?: object): Promise<unknown>;
  compressTree(dir: string, out: string, options?: object): Promise<unknown>;
}
export declare function buildVector(api: VectorApi, v: Vector, work: string): Promise<{ container: Uint8Array; output: Uint8Array }>;
