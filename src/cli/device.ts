// The --device flag every command that runs graphs shares.
import { UserError } from '../errors.ts';
import { DEVICES, type Device } from '../runtime/ort.ts';

export const DEVICE_HELP = `  --device    ONNX Runtime provider: cpu (default), webgpu (the GPU through Vulkan) or cuda (where
              onnxruntime-node's CUDA provider is installed; docs/gpu.md)`;

export function deviceOption(value: string | undefined): Device | undefined {
  if (value === undefined) return undefined;
  if (!(DEVICES as readonly string[]).includes(value)) throw new UserError(`--device must be ${DEVICES.join(', ')}; got '${value}'`);
  return value as Device;
}
