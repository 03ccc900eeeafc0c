/** `engine/onnx/kernels` for the explorer page: a browser has no ONNX Runtime, so the wasm backend keeps its SIMD kernels. */
export const ONNX_KERNELS = [] as const;
export const ONNX_CONV_KERNELS = ONNX_KERNELS;
export function registerOnnxKernels(): string[] {
  return [];
}
export function setOnnxKernels(): boolean {
  return false;
}
export const registerOnnxConvKernels = registerOnnxKernels;
export const setOnnxConvKernels = setOnnxKernels;
