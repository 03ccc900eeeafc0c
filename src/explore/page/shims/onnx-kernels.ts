/** `engine/onnx/kernels` for the explorer page: a browser has no ONNX Runtime, so the wasm backend keeps its SIMD convolutions. */
export const ONNX_CONV_KERNELS = [] as const;
export function registerOnnxConvKernels(): string[] {
  return [];
}
export function setOnnxConvKernels(): boolean {
  return false;
}
