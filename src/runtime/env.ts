// Set before onnxruntime-node loads (ort.ts imports this first): without it ONNX Runtime 1.30 writes
// telemetry state into ~/.cache and $TMPDIR, and nothing may be written outside the workdir and the
// explicit output paths.
process.env.ORT_DISABLE_TELEMETRY ??= '1';
