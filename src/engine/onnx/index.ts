/**
 * ONNX: export tfjs models to ONNX graphs (onnx-proto) and run them on ONNX Runtime
 * (onnxruntime-node). Importing this module registers every layer converter.
 * @module
 */
import './converters';
import './custom-layers';
export { A, GraphBuilder, ONNX_OPSET, ONNX_IR_VERSION, transposeData, type Attr, type Dim, type WeightRef } from './builder';
export {
  registerOnnxConverter, onnxConverter, onnxSupportedLayers, onnxSupportedActivations, onnxDims, onnxAxis,
  toChannelsFirst, toChannelsLast, type ConverterContext, type LayerConverter, type Layout, type OnnxValue,
} from './converters';
export { exportOnnx, exportOnnxSegments, exportOnnxSplit, type OnnxExport, type OnnxExportOptions, type OnnxOperators, type OnnxSegmentOptions, type OnnxSegments, type OnnxSplit, type OnnxTensorInfo, type OnnxWeightInput } from './export';
export {
  createOnnxSession, onnxRuntime, onnxRuntimeAvailable, onnxRuntimeError, resolveThreads, sessionOptions,
  type OnnxSessionOptions, type Ort, type OrtSession,
} from './session';
export { registerOnnxKernels, setOnnxKernels, onnxKernelCalls, ONNX_KERNELS, registerOnnxConvKernels, setOnnxConvKernels, onnxConvKernelCalls, ONNX_CONV_KERNELS } from './kernels';
export { relativeError, argmaxAgreement, checkOnnxParity, type OnnxParity } from './parity';
