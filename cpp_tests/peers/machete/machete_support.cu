// The parts of Machete the bench needs beside the GEMM schedules: its prepack kernel, its
// schedule list and its H100 heuristic. No GEMM kernel is instantiated here.
#include <string>
#include <vector>

#include "machete_peer.h"
#include "quantization/machete/machete_standalone_gemm.cuh"

namespace w4a16::machete_peer {
namespace {
using Act = cutlass::half_t;
using Weight = cutlass::vllm_uint4b8_t;
using Layout = machete_standalone::PrepackLayout<Act, Weight, Act, float>;
}  // namespace

std::vector<std::string> tree_schedules() {
  std::vector<std::string> names;
  for (auto const& s : machete_standalone::supported_schedules()) names.emplace_back(s.name);
  return names;
}

std::string heuristic_schedule(int m, int n, int k) {
  return machete_standalone::select_schedule(m, n, k).name;
}

int prepack_block_n() { return cute::size<0>(typename Layout::PPBlockShape_NK{}); }
int prepack_block_k() { return cute::size<1>(typename Layout::PPBlockShape_NK{}); }

void prepack(void const* raw, void* out, int k, int n, cudaStream_t stream) {
  machete_standalone::prepack_B<Act, Weight, Act, float>(stream, static_cast<Weight const*>(raw),
                                                        static_cast<Weight*>(out), k, n);
}

}  // namespace w4a16::machete_peer
