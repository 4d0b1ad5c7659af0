// How CUTLASS's SM90 stream-K tile scheduler splits one GEMM, computed on the host alone.
//
// TensorRT-LLM's cooperative W4A16 kernels use this scheduler with its default arguments
// (heuristic decomposition, deterministic reduction, splits 1, swizzle 1); the launcher
// computes the transposed product, so the scheduler sees (N, M, K) and the tile (TN, TM, TK).
// This program runs the scheduler's own host-side heuristic for a given SM count and prints
// its choice as one JSON object, so the decomposition behind a measured time can be read
// without a GPU.
//
// usage: streamk_decomposition M N K TN TM TK CN CM SMS [SPLITS [MODE]]
//   MODE: heuristic (default), dp, splitk, streamk

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cutlass/gemm/kernel/tile_scheduler_params.h"

namespace {

using Params = cutlass::gemm::kernel::detail::PersistentTileSchedulerSm90StreamKParams;
using Decomposition = Params::DecompositionMode;
using Reduction = Params::ReductionMode;
using Raster = Params::RasterOrderOptions;

bool parse_positive(char const* text, long& out) {
  char* end = nullptr;
  out = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && out > 0;
}

char const* mode_name(Decomposition mode) {
  switch (mode) {
    case Decomposition::DataParallel: return "data_parallel";
    case Decomposition::SplitK: return "split_k";
    case Decomposition::StreamK: return "stream_k";
    default: return "heuristic";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 10 || argc > 12) {
    std::fprintf(stderr,
                 "usage: %s M N K TN TM TK CN CM SMS [SPLITS [heuristic|dp|splitk|streamk]]\n",
                 argv[0]);
    return 2;
  }
  long v[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  char const* names[10] = {"M", "N", "K", "TN", "TM", "TK", "CN", "CM", "SMS", "SPLITS"};
  for (int i = 1; i < argc && i <= 10; ++i) {
    if (!parse_positive(argv[i], v[i - 1])) {
      std::fprintf(stderr, "%s must be a positive integer, got '%s'\n", names[i - 1], argv[i]);
      return 2;
    }
  }
  Decomposition requested = Decomposition::Heuristic;
  if (argc == 12) {
    std::string mode = argv[11];
    if (mode == "dp") requested = Decomposition::DataParallel;
    else if (mode == "splitk") requested = Decomposition::SplitK;
    else if (mode == "streamk") requested = Decomposition::StreamK;
    else if (mode != "heuristic") {
      std::fprintf(stderr, "MODE must be heuristic, dp, splitk or streamk, got '%s'\n", argv[11]);
      return 2;
    }
  }
  long const m = v[0], n = v[1], k = v[2], tn = v[3], tm = v[4], tk = v[5];
  cutlass::gemm::GemmCoord cluster(static_cast<int>(v[6]), static_cast<int>(v[7]), 1);
  cutlass::KernelHardwareInfo hw;
  hw.sm_count = static_cast<int>(v[8]);
  int const splits = static_cast<int>(v[9]);

  // The scheduler's view: the transposed problem, rows along N.
  dim3 blocks(static_cast<unsigned>((n + tn - 1) / tn), static_cast<unsigned>((m + tm - 1) / tm), 1);
  uint32_t const k_tiles = static_cast<uint32_t>((k + tk - 1) / tk);
  int const max_swizzle = 1;

  Params::UnderlyingParams underlying;
  underlying.initialize(blocks, cluster, hw, max_swizzle, Raster::Heuristic);
  uint32_t groups = 1, sk_tiles = 0, sk_splits = 1;
  uint64_t sk_units = 0, cluster_size = 0, dp_units = 0, k_per_group = 0, k_per_sk_unit = 0,
           big_groups = 0;
  Params params;
  Decomposition chosen = params.select_decomposition_mode(
      groups, sk_tiles, sk_units, cluster_size, dp_units, k_per_group, k_per_sk_unit, big_groups,
      sk_splits, underlying, blocks, k_tiles, cluster, hw, splits, max_swizzle, Raster::Heuristic,
      requested, Reduction::Deterministic, 1u, 1u);
  dim3 grid = Params::get_grid_shape(blocks, cluster, hw, max_swizzle, Raster::Heuristic);
  uint64_t const tiles = static_cast<uint64_t>(blocks.x) * blocks.y;
  // Work units the persistent CTAs walk: one per data-parallel tile, the stream-K units, and
  // for split-K every tile times its splits.
  uint64_t const units = chosen == Decomposition::SplitK ? tiles * sk_splits
                         : chosen == Decomposition::StreamK ? dp_units + sk_units
                                                            : tiles;
  std::printf(
      "{\"m\": %ld, \"n\": %ld, \"k\": %ld, \"tile\": [%ld, %ld, %ld], \"cluster\": [%d, %d], "
      "\"sms\": %d, \"requested\": \"%s\", \"splits_requested\": %d, \"output_tiles\": %llu, "
      "\"k_tiles_per_output_tile\": %u, \"mode\": \"%s\", \"sk_tiles\": %u, \"sk_units\": %llu, "
      "\"dp_units\": %llu, \"k_tiles_per_sk_unit\": %llu, \"splits\": %u, \"groups\": %u, "
      "\"units\": %llu, \"grid_ctas\": %u}\n",
      m, n, k, tn, tm, tk, cluster.m(), cluster.n(), hw.sm_count, mode_name(requested), splits,
      static_cast<unsigned long long>(tiles), k_tiles, mode_name(chosen), sk_tiles,
      static_cast<unsigned long long>(sk_units), static_cast<unsigned long long>(dp_units),
      static_cast<unsigned long long>(k_per_sk_unit), chosen == Decomposition::SplitK ? sk_splits : 1u,
      groups, static_cast<unsigned long long>(units), grid.x * grid.y * grid.z);
  return 0;
}
