// The ONNX runtime behind one small interface: onnxruntime-node (native: CPU, CUDA, WebGPU through Dawn) where it
// loads, onnxruntime-web (WebAssembly CPU; WebGPU in browsers that offer it) otherwise. Both are optional
// dependencies loaded on first use: when neither loads, or a model does not, the caller falls back to measurement.
//
// Device selection does its own fallback: onnxruntime 1.30 does not fall back from a listed execution provider that
// fails (`['cuda', 'cpu']` throws at session creation when the CUDA libraries are missing), so each device is tried
// alone, in order, and the session reports which one ran and why the others did not.
import { PaniniError } from '../errors.js';
import { INPUT_NAME, PROBS_NAME } from './onnx.js';

export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';
export type RanDevice = 'cpu' | 'cuda' | 'webgpu';
export type Backend = 'onnxruntime-node' | 'onnxruntime-web';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu'];

export interface SessionOptions {
  /** the device wanted (default auto: CUDA, then WebGPU, then the CPU) */
  device?: Device;
  /** which runtime package (default: onnxruntime-node where it loads, else onnxruntime-web) */
  backend?: Backend | 'auto';
  /** CPU threads of one session (default 1: the encoder's workers already use the other cores) */
  threads?: number;
}

export interface ModelSession {
  backend: Backend;
  /** the device the session runs on */
  device: RanDevice;
  /** one line per device tried and given up, with the runtime's reason */
  notices: string[];
  /** the model's output probabilities for `n` rows of `width` features: n × classes */
  run(features: Float32Array, n: number, width: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** The parts of onnxruntime-common's API used here (both packages export them). */
interface OrtLike {
  InferenceSession: {
    create(model: Uint8Array, opts: Record<string, unknown>): Promise<{
      run(feeds: Record<string, unknown>, fetches?: string[]): Promise<Record<string, { data: unknown }>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  env: { wasm?: { numThreads?: number; proxy?: boolean }; logLevel?: string };
  listSupportedBackends?: () => Array<{ name: string; bundled: boolean }>;
}

const loaded = new Map<Backend, Promise<OrtLike | null>>();
const loadErrors = new Map<Backend, string>();

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Imports a runtime package once; null (and a reason in `runtimeLoadError`) when it is absent or fails to load. */
export function loadRuntime(backend: Backend): Promise<OrtLike | null> {
  let p = loaded.get(backend);
  if (!p) {
    // the names go through a variable so that bundlers leave the optional packages alone
    const name: string = backend;
    p = import(/* @vite-ignore */ name).then(
      (m: { default?: OrtLike } & Partial<OrtLike>) => {
        const ort = (m.InferenceSession ? m : m.default) as OrtLike;
        if (!ort?.InferenceSession) throw new Error('the package has no InferenceSession');
        return ort;
      },
      (e: unknown) => {
        throw e;
      },
    ).catch((e: unknown) => {
      loadErrors.set(backend, firstLine(e));
      return null;
    });
    loaded.set(backend, p);
  }
  return p;
}

export function runtimeLoadError(backend: Backend): string | undefined {
  return loadErrors.get(backend);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

function checkDevice(d: unknown): Device {
  if (typeof d !== 'string' || !(DEVICES as readonly string[]).includes(d)) {
    throw new PaniniError('OPTION', `device must be one of ${DEVICES.join(', ')}, got ${String(d)}`, { option: 'device' });
  }
  return d as Device;
}

/** The order devices are tried in for a wanted device on a backend (the CPU always last). */
export function deviceOrder(device: Device, backend: Backend): RanDevice[] {
  if (device === 'cpu') return ['cpu'];
  if (device === 'cuda') return ['cuda', 'cpu'];
  if (device === 'webgpu') return ['webgpu', 'cpu'];
  return backend === 'onnxruntime-node' ? ['cuda', 'webgpu', 'cpu'] : ['webgpu', 'cpu'];
}

function providerName(d: RanDevice, backend: Backend): string {
  if (d === 'cpu') return backend === 'onnxruntime-web' ? 'wasm' : 'cpu';
  return d;
}

/**
 * Creates a session for `model` on the first device of `deviceOrder` that accepts it. Throws MODEL when no runtime
 * loads or the model is refused on the CPU too (the message names the runtime and its reason).
 */
export async function createSession(model: Uint8Array, opts: SessionOptions = {}): Promise<ModelSession> {
  const device = checkDevice(opts.device ?? 'auto');
  const want = opts.backend ?? 'auto';
  const threads = opts.threads ?? 1;
  const backends: Backend[] = want === 'auto' ? (isNode ? ['onnxruntime-node', 'onnxruntime-web'] : ['onnxruntime-web']) : [want];
  const notices: string[] = [];
  for (const backend of backends) {
    const ort = await loadRuntime(backend);
    if (!ort) {
      notices.push(`${backend} did not load: ${runtimeLoadError(backend)}`);
      continue;
    }
    if (backend === 'onnxruntime-web' && ort.env.wasm) {
      ort.env.wasm.numThreads = threads;
      ort.env.wasm.proxy = false;
    }
    for (const d of deviceOrder(device, backend)) {
      let s;
      try {
        s = await ort.InferenceSession.create(model, {
          executionProviders: [providerName(d, backend)],
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          graphOptimizationLevel: 'all',
          logSeverityLevel: 3,
        });
      } catch (e) {
        notices.push(`${backend}: ${d} is not available (${firstLine(e)})`);
        continue;
      }
      const sess = s;
      return {
        backend,
        device: d,
        notices,
        async run(features, n, width) {
          if (features.length !== n * width) throw new PaniniError('OPTION', `model input: ${features.length} values for ${n} rows of ${width}`, { option: 'features' });
          const out = await sess.run({ [INPUT_NAME]: new ort.Tensor('float32', features, [n, width]) }, [PROBS_NAME]);
          return out[PROBS_NAME]!.data as Float32Array;
        },
        release: () => sess.release(),
      };
    }
    // the model itself was refused on the CPU: another backend will not do better
    if (notices.length && notices[notices.length - 1]!.includes(': cpu is not available')) break;
  }
  throw new PaniniError('MODEL', `no ONNX runtime could run the model (${notices.join('; ') || 'no runtime tried'})`, { option: 'device' });
}
