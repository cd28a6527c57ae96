#!/usr/bin/env bash
# The GPU check, from the repository root on a machine with an NVIDIA GPU (see docs/gpu.md):
# install the few Python packages that machine lacks from the wheels in .whl/ (pydantic,
# pydantic-settings and their needs), then compare every lab on the GPU with the CPU, time
# both, and drive the live runtime's worker processes on the GPU. The report goes to $OUT
# (or ./device-check when OUT is unset): device_check.json and device_check.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-device-check}"
mkdir -p "$OUT"
if [ -d .whl ] && compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
fi
export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'gpu visible:', torch.cuda.is_available())"
timeout 270 python3 -m bench.device_check --device cuda --out "$OUT" "$@"
