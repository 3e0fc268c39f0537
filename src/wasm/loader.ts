// The one loader of every embedded WebAssembly module (core, codec, fast, match, cm): base64 decoding, the SIMD/scalar
// choice (the SIMD build where WebAssembly.validate accepts it), compiling once, synchronous and asynchronous
// instantiation, memory views that follow memory growth, and errors wrapped as PaniniError WASM.
import { PaniniError } from '../errors.js';
import { decodeBase64 } from './base64.js';

export type Variant = 'simd' | 'scalar';

export interface Instantiated {
  instance: WebAssembly.Instance;
  simd: boolean;
}

/** An embedded module: `scalar` always, `simd` where a SIMD build exists. */
export class WasmModule {
  private compiled: { module: WebAssembly.Module; simd: boolean } | undefined;
  constructor(
    /** what error messages call it ("the WebAssembly core", "the codec module" …) */
    readonly label: string,
    private readonly scalar: string,
    private readonly simd?: string,
  ) {}

  /** The bytes to run: the SIMD build where the engine validates it (unless `prefer` is 'scalar'), else the scalar one. */
  bytes(prefer?: Variant): { bytes: Uint8Array<ArrayBuffer>; simd: boolean } {
    if (this.simd !== undefined && prefer !== 'scalar') {
      const b = decodeBase64(this.simd);
      if (WebAssembly.validate(b)) return { bytes: b, simd: true };
    }
    return { bytes: decodeBase64(this.scalar), simd: false };
  }

  error(e: unknown): PaniniError {
    return e instanceof PaniniError ? e : new PaniniError('WASM', `cannot instantiate ${this.label}: ${String(e)}`, undefined, { cause: e });
  }

  /** A new instance, synchronously (Node, workers, CommonJS); the compiled module is kept for the next one. */
  instantiate(prefer?: Variant): Instantiated {
    try {
      if (prefer !== undefined) {
        const { bytes, simd } = this.bytes(prefer);
        return { instance: new WebAssembly.Instance(new WebAssembly.Module(bytes), {}), simd };
      }
      if (!this.compiled) {
        const { bytes, simd } = this.bytes();
        this.compiled = { module: new WebAssembly.Module(bytes), simd };
      }
      return { instance: new WebAssembly.Instance(this.compiled.module, {}), simd: this.compiled.simd };
    } catch (e) {
      throw this.error(e);
    }
  }

  /** A new instance, asynchronously (browsers' main thread may refuse to compile large modules synchronously). */
  async instantiateAsync(prefer?: Variant): Promise<Instantiated> {
    const { bytes, simd } = this.bytes(prefer);
    try {
      const r = await WebAssembly.instantiate(bytes, {});
      return { instance: r.instance, simd };
    } catch (e) {
      throw this.error(e);
    }
  }
}

/**
 * One shared instance of a module, set up once by `setUp` (which reserves its memory), started on first use:
 * `get()` synchronously, `load()` asynchronously (later calls share the same promise; a failed load can be retried).
 */
export class SharedInstance<T> {
  private value: T | undefined;
  private loading: Promise<T> | undefined;
  constructor(
    readonly module: WasmModule,
    private readonly setUp: (instance: WebAssembly.Instance, simd: boolean) => T,
  ) {}

  /** The instance if it is loaded, else undefined. */
  peek(): T | undefined {
    return this.value;
  }

  /** The instance, instantiated synchronously on first use. */
  get(): T {
    if (this.value === undefined) {
      const { instance, simd } = this.module.instantiate();
      this.value = this.setUp(instance, simd);
      this.loading = Promise.resolve(this.value);
    }
    return this.value;
  }

  /** Loads it asynchronously (once). With `prefer`, replaces the instance by a new one of that build. */
  load(prefer?: Variant): Promise<T> {
    if (prefer !== undefined) {
      return this.module.instantiateAsync(prefer).then(({ instance, simd }) => {
        this.value = this.setUp(instance, simd);
        this.loading = Promise.resolve(this.value);
        return this.value;
      });
    }
    if (!this.loading) {
      this.loading = this.module.instantiateAsync().then(
        ({ instance, simd }) => (this.value ??= this.setUp(instance, simd)),
        (e) => {
          this.loading = undefined;
          throw e;
        },
      );
    }
    return this.loading;
  }
}

/** A byte view of a module's memory, re-made when the memory has grown (growth detaches the old buffer). */
export class MemoryView {
  private view: Uint8Array;
  constructor(private readonly memory: WebAssembly.Memory) {
    this.view = new Uint8Array(memory.buffer);
  }
  get bytes(): Uint8Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Uint8Array(this.memory.buffer);
    return this.view;
  }
}

/** What the block-codec modules (plz: assembly/codec, pfz: assembly/fast) export in common. */
export interface BlockCodecExports {
  memory: WebAssembly.Memory;
  /** reserves the decoder's static map; 0 on success */
  initDecoder(): number;
  /** reserves the encoder's tables; 0 on success */
  initEncoder(): number;
  inPtr(): number;
  outPtr(): number;
}

/** A block-codec instance: its exports, its IN/OUT buffers, a memory view, and the encoder reserved on first use. */
export interface BlockCodec<X extends BlockCodecExports> {
  readonly x: X;
  readonly inPtr: number;
  readonly outPtr: number;
  /** a view of the whole memory, re-made after the memory grew */
  mem(): Uint8Array;
  /** reserves the encoder's tables (once); throws PaniniError WASM if the memory cannot grow */
  ensureEncoder(): void;
}

/** Sets up a block-codec instance: reserves the decoder's memory now (PaniniError WASM if it cannot), the encoder's later. */
export function blockCodec<X extends BlockCodecExports>(instance: WebAssembly.Instance, label: string): BlockCodec<X> {
  const x = instance.exports as unknown as X;
  if (x.initDecoder() !== 0) throw new PaniniError('WASM', `${label} could not reserve its memory`);
  const view = new MemoryView(x.memory);
  let encoderReady = false;
  return {
    x,
    inPtr: x.inPtr(),
    outPtr: x.outPtr(),
    mem: () => view.bytes,
    ensureEncoder() {
      if (encoderReady) return;
      if (x.initEncoder() !== 0) throw new PaniniError('WASM', `${label} could not reserve the encoder memory`);
      encoderReady = true;
    },
  };
}
