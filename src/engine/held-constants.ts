/**
 * Tensors declared constant for a while, e.g. the frozen weights of a fine-tuning: read again
 * and again, never changed. Kernels may keep derived forms of them (the ONNX Runtime
 * convolutions store such a filter in their graph and run ONNX Runtime's blocked-layout
 * convolution) until the hold is released. What is held is decided by the caller, never by
 * what ran before, so the same work rounds the same way in any process.
 */
import type { tf } from './backend';

interface Hold {
  /** A number naming the tensor's data (e.g. in a kernel's graph key). */
  id: number;
  /** Holds not yet released. */
  holds: number;
}

const held = new WeakMap<object, Hold>();
let nextId = 0;
const releaseListeners: Array<(id: number) => void> = [];

/**
 * Declares `tensors` constant until the returned function is called (call it before disposing
 * them). Holds nest: a tensor stays held until every hold on it is released.
 * @example const release = holdConstant(frozen); try { train(...) } finally { release() }
 */
export function holdConstant(tensors: readonly tf.Tensor[]): () => void {
  const holds = tensors.map((t) => {
    const dataId = t.dataId as object;
    let hold = held.get(dataId);
    if (!hold) held.set(dataId, (hold = { id: nextId++, holds: 0 }));
    hold.holds++;
    return hold;
  });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const hold of holds) {
      if (--hold.holds === 0) releaseListeners.forEach((listener) => listener(hold.id));
    }
  };
}

/** The numbers of the tensors' data when every one is held, else undefined. */
export function heldIds(tensors: ReadonlyArray<{ dataId: unknown }>): number[] | undefined {
  const ids: number[] = [];
  for (const t of tensors) {
    const hold = held.get(t.dataId as object);
    if (!hold || hold.holds === 0) return undefined;
    ids.push(hold.id);
  }
  return ids;
}

/** Calls `listener` with a tensor's number when its last hold is released (to free what was derived from it). */
export function onConstantReleased(listener: (id: number) => void): void {
  releaseListeners.push(listener);
}
