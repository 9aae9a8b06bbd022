import { DeviceLostError, NotInitializedError } from '../errors';
import { Pipelines } from './pipelines';
import { BufferPool, StagingPool } from './pool';
import { CommandStream } from './stream';
import type { Profiler } from './profiler';

export interface EngineInfo {
  adapter: string;
  isSwiftShader: boolean;
  limits: Record<string, number>;
  features: string[];
}

/** What a tidy scope or a tape holds: anything it may have to dispose. */
export interface Disposable {
  dispose(): void;
}

/**
 * Everything that lives as long as one GPU device: the device, its buffer pool, pipeline and
 * bind-group caches, the command stream, readback staging, the profiler, and the stacks of open
 * tidy scopes and recording tapes. `init()` makes one; device loss or the next `init()`
 * replaces it, and a tensor made under an older one (`generation`) is refused rather than
 * touching a dead buffer.
 */
export class Engine {
  readonly pool: BufferPool;
  readonly pipelines: Pipelines;
  readonly stream: CommandStream;
  readonly features: ReadonlySet<string>;
  /** Mappable buffers for readbacks, reused across reads. */
  readonly staging: StagingPool;
  /** Why the device was lost, once it is. */
  lost: string | null = null;
  /** The profiler while `profile()` runs. */
  profiler: Profiler | null = null;
  /** Open `tidy` scopes, innermost last (typed by the tensor layer). */
  readonly scopes: Array<Set<Disposable>> = [];
  /** Recording tapes, innermost last (typed by the ops layer). */
  readonly recorders: unknown[] = [];
  /** Tensor objects alive, and the next tensor id. */
  liveTensors = 0;
  nextTensorId = 0;
  /** Whether compileStep captures and replays steps (tests turn it off to compare with the ordinary path). */
  captureSteps = true;
  /** Captured steps holding buffers for their replays (releaseMemory frees them). */
  readonly captured = new Set<Disposable>();
  /** Forces one matmul kernel whatever the adapter (tests run every kernel this way). */
  matmulKernel: 'matmul' | 'matmul_tiled' | undefined = undefined;
  /** Forces every plain matmul to split K into this many slices (tests run split-K on small shapes). */
  matmulSlices: number | undefined = undefined;

  constructor(
    readonly device: GPUDevice,
    /** Kept referenced while the device lives (in Node the device dies with it). */
    readonly gpu: GPU | undefined,
    readonly info: EngineInfo,
    readonly generation: number,
  ) {
    this.features = new Set(info.features);
    this.pool = new BufferPool(device, () => this.stream.encoding);
    this.staging = new StagingPool(device);
    this.pipelines = new Pipelines(device);
    this.stream = new CommandStream(device, this);
    device.lost.then((lost) => {
      this.lost = `${lost.reason}: ${lost.message}`;
    });
  }
}

let live: Engine | null = null;

/** The engine in use; throws if `init()` has not run or the device was lost. */
export function engine(): Engine {
  const e = live;
  if (!e) throw new NotInitializedError('webgrad is not initialised: await init() first.');
  if (e.lost !== null) throw new DeviceLostError(`The GPU device was lost (${e.lost}); await init() again to start afresh.`);
  return e;
}

/** Makes `next` the engine in use and returns the one it replaces. */
export function replaceEngine(next: Engine): Engine | null {
  const old = live;
  live = next;
  return old;
}

/** The generation the next engine gets. */
export function nextGeneration(): number {
  return (live?.generation ?? 0) + 1;
}

/** Whether a resource made under `generation` still belongs to the live device. */
export function isLiveGeneration(generation: number): boolean {
  return live !== null && live.generation === generation && live.lost === null;
}
