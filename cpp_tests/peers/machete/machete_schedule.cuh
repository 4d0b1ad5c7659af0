// One Machete schedule behind the ScheduleEntry interface of machete_peer.h. A generated
// translation unit includes this header and explicitly instantiates MacheteSchedule for the
// one schedule it builds, so each schedule's kernel is compiled on its own (one schedule is
// about 95 s and 4 GB of nvcc).
#pragma once

#include <stdexcept>
#include <string>

#include "machete_peer.h"
#include "quantization/machete/machete_standalone_gemm.cuh"

namespace w4a16::machete_peer {

// Tile and cluster in Machete's own order (its ScheduleTemplate): the tile's first extent runs
// over the weight's N, the second over the tokens M (Machete computes the transposed product).
template <int TileN, int TileM, int ClusterN, int ClusterM, int ClusterK>
struct MacheteSchedule {
  using Act = cutlass::half_t;
  using Weight = cutlass::vllm_uint4b8_t;
  using Kernel = machete_standalone::MacheteKernelTemplate<
      Act, Weight, Act, float, Act, void,
      machete_standalone::ScheduleTemplate<TileN, TileM, ClusterN, ClusterM, ClusterK>>;

  static typename Kernel::Arguments arguments(GemmCall const& c) {
    return Kernel::create_arguments(static_cast<Act const*>(c.a), static_cast<Weight const*>(c.b_prepacked),
                                    static_cast<Act*>(c.out), static_cast<Act const*>(c.scales),
                                    /*group_zeros=*/nullptr, c.m, c.n, c.k, c.group);
  }

  static size_t workspace(GemmCall const& c) {
    auto args = arguments(c);
    if (!Kernel::can_implement(args))
      throw std::invalid_argument("Machete cannot implement M=" + std::to_string(c.m) + " N=" +
                                  std::to_string(c.n) + " K=" + std::to_string(c.k) + " group=" +
                                  std::to_string(c.group) + " with this schedule");
    return Kernel::get_workspace_size(args);
  }

  static void run(GemmCall const& c, void* workspace, size_t workspace_bytes, cudaStream_t stream) {
    auto args = arguments(c);
    if (!Kernel::can_implement(args)) throw std::invalid_argument("Machete cannot implement the problem");
    size_t const needed = Kernel::get_workspace_size(args);
    if (workspace_bytes < needed)
      throw std::runtime_error("Machete workspace too small: " + std::to_string(workspace_bytes) + " < " +
                               std::to_string(needed));
    Kernel::run(args, workspace, stream);
  }

  static ScheduleEntry entry(char const* name) { return {name, &workspace, &run}; }
};

}  // namespace w4a16::machete_peer
