#!/usr/bin/env bash
# Times every example's quick setting (docs/teaching/quick_settings.md) on one BLAS thread.
# Run from the project root (or a student edition's root): bash docs/teaching/time_quick_settings.sh [NAME ...]
# Writes each run's pictures under runs/quick/NAME and prints: name, wall seconds, 1-minute load before it.
set -u
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # this tree's minigan, not an installed one
declare -A RUN=(
  [gan_1d]="examples/gan_1d.py --steps 1500 --frames 12"
  [vanilla_gan]="examples/vanilla_gan.py --steps 2500 --sample-every 500 --checkpoint-every 100000"
  [dcgan]="examples/dcgan.py --steps 1600 --width 16 --sample-every 800 --eval-samples 200"
  [cgan]="examples/cgan.py --steps 2000 --sample-every 1000"
  [acgan]="examples/acgan.py --steps 400 --sample-every 200"
  [wgan]="examples/wgan.py --steps 800 --lr 2e-4 --sample-every 400"
  [wgan_gp]="examples/wgan_gp.py --dataset ring --steps 600 --sharpen-steps 200 --eval-samples 1000"
  [improved_gan]="examples/improved_gan.py --dataset ring --steps 1000 --minibatch-discrimination"
  [cyclegan]="examples/cyclegan.py --steps 300 --sample-every 100"
)
ORDER=(gan_1d vanilla_gan dcgan cgan acgan wgan wgan_gp improved_gan cyclegan)
[ $# -gt 0 ] && ORDER=("$@")
for name in "${ORDER[@]}"; do
  out="runs/quick/$name"
  rm -rf "$out"; mkdir -p "$out"
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  python ${RUN[$name]} --out "$out" --quiet > "$out/log.txt" 2>&1
  rc=$?
  end=$(date +%s.%N)
  printf '%-13s %6.1f s  (rc %s, load before %s)  %s\n' "$name" "$(echo "$end - $start" | bc)" "$rc" "$load" "${RUN[$name]}"
done
