// The one place the test touches TensorRT-LLM's GEMM API. Chosen at compile time:
//
// * W4A16_USE_TRTLLM_RUNNER (inside a full TensorRT-LLM tree, where no generated registry
//   header exists): CutlassFpAIntBGemmRunner,
//   with its getWorkspaceSize, getConfigs and gemm.
// * otherwise (the kernel-only slice): the SM90 dispatch that the runner calls on Hopper,
//   sm90_dispatch_gemm_to_cutlass, plus the generated registry of compiled tactics.
//
// Both paths validate the problem and refuse a workspace smaller than the SM90 rule before
// anything is launched: TensorRT-LLM's launcher only logs that case and runs anyway.
#pragma once

#include <cuda_runtime_api.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cutlass/numeric_types.h"
#include "cutlass_extensions/gemm_configs.h"
#include "cutlass_extensions/weight_only_quant_op.h"
#include "tensorrt_llm/kernels/cutlass_kernels/cutlass_heuristic.h"
#include "w4a16_host_ref.h"

// The slim build generates w4a16_tactic_registry.h; a TensorRT-LLM tree has none and builds
// every tactic into libtensorrt_llm, so there the runner is used.
#if !defined(W4A16_USE_TRTLLM_RUNNER) && !__has_include("w4a16_tactic_registry.h")
#define W4A16_USE_TRTLLM_RUNNER 1
#endif

#ifdef W4A16_USE_TRTLLM_RUNNER
#include "tensorrt_llm/kernels/cutlass_kernels/fpA_intB_gemm/fpA_intB_gemm.h"
#else
// The registry includes the SM90 dispatch (and what that header forgets to include).
#include "w4a16_tactic_registry.h"
#endif

namespace w4a16 {

namespace tkc = tensorrt_llm::cutlass_extensions;

inline constexpr char const* kAdapterName =
#ifdef W4A16_USE_TRTLLM_RUNNER
    "CutlassFpAIntBGemmRunner";
#else
    "sm90_dispatch_gemm_to_cutlass";
#endif

// Device pointers and scalars of one GEMM: out[M,N] = alpha * A[M,K] @ W[K,N] + bias[N].
struct GemmArgs {
  void const* a = nullptr;
  void const* b = nullptr;  // preprocessed int4 weights
  void const* scales = nullptr;
  void const* zeros = nullptr;
  void const* bias = nullptr;
  void* out = nullptr;
};

// The heuristic's candidate list for SM90 weight-only GEMMs, as TensorRT-LLM's runner
// builds it (getConfigs on an SM90 device returns exactly this list).
inline std::vector<tkc::CutlassGemmConfig> candidate_configs() {
  auto const type = static_cast<tkc::CutlassGemmConfig::CandidateConfigTypeParam>(
      tkc::CutlassGemmConfig::HOPPER | tkc::CutlassGemmConfig::WEIGHT_ONLY);
  return tensorrt_llm::kernels::cutlass_kernels::get_candidate_configs(90, 1, type);
}

inline int tile_m(tkc::CutlassGemmConfig const& c) {
  switch (c.tile_config_sm90) {
    case tkc::CutlassTileConfigSM90::CtaShape64x16x128B:
    case tkc::CutlassTileConfigSM90::CtaShape64x32x128B:
    case tkc::CutlassTileConfigSM90::CtaShape64x64x128B:
    case tkc::CutlassTileConfigSM90::CtaShape64x128x128B:
    case tkc::CutlassTileConfigSM90::CtaShape64x256x128B:
      return 64;
    case tkc::CutlassTileConfigSM90::CtaShape128x16x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x32x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x64x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x128x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x256x128B:
      return 128;
    default:
      return 0;
  }
}

inline int tile_n(tkc::CutlassGemmConfig const& c) {
  switch (c.tile_config_sm90) {
    case tkc::CutlassTileConfigSM90::CtaShape64x16x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x16x128B:
      return 16;
    case tkc::CutlassTileConfigSM90::CtaShape64x32x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x32x128B:
      return 32;
    case tkc::CutlassTileConfigSM90::CtaShape64x64x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x64x128B:
      return 64;
    case tkc::CutlassTileConfigSM90::CtaShape64x128x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x128x128B:
      return 128;
    case tkc::CutlassTileConfigSM90::CtaShape64x256x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x256x128B:
      return 256;
    default:
      return 0;
  }
}

inline void cluster_shape(tkc::CutlassGemmConfig const& c, int& cm, int& cn) {
  switch (c.cluster_shape) {
    case tkc::ClusterShape::ClusterShape_1x1x1: cm = 1; cn = 1; return;
    case tkc::ClusterShape::ClusterShape_2x1x1: cm = 2; cn = 1; return;
    case tkc::ClusterShape::ClusterShape_1x2x1: cm = 1; cn = 2; return;
    case tkc::ClusterShape::ClusterShape_2x2x1: cm = 2; cn = 2; return;
    default: cm = 0; cn = 0; return;
  }
}

// Same spelling as scripts/w4a16/tactics.py: tile128x16x64_cluster2x1x1_coop. The K tile is
// 128 bytes of activations, 64 fp16/bf16 elements. The heuristic appends a copy of its first
// tile flagged enableCudaKernel; through this API it runs the same CUTLASS kernel, and its
// name says so.
inline std::string tactic_name(tkc::CutlassGemmConfig const& c) {
  int cm = 0, cn = 0;
  cluster_shape(c, cm, cn);
  int tm = tile_m(c);
  std::ostringstream os;
  os << "tile" << tm << "x" << tile_n(c) << "x64_cluster" << cm << "x" << cn << "x1_"
     << (tm == 64 ? "pingpong" : "coop");
  if (c.enableCudaKernel) os << "_cudakernelflag";
  return os.str();
}

// Was this (activation, quant op, tactic) compiled into the binary? In a full TensorRT-LLM
// build every tactic is.
inline bool tactic_compiled(Act act, Quant quant, tkc::CutlassGemmConfig const& c) {
#ifdef W4A16_USE_TRTLLM_RUNNER
  (void)act;
  (void)quant;
  (void)c;
  return true;
#else
  int cm = 0, cn = 0;
  cluster_shape(c, cm, cn);
  for (auto const& t : kCompiledTactics) {
    if (std::string(t.activation) == act_name(act) && std::string(t.quant_op) == quant_name(quant) &&
        t.tile_m == tile_m(c) && t.tile_n == tile_n(c) && t.cluster_m == cm && t.cluster_n == cn)
      return true;
  }
  return false;
#endif
}

inline std::string build_filter() {
#ifdef W4A16_USE_TRTLLM_RUNNER
  return "full TensorRT-LLM build";
#else
  return kBuildFilter;
#endif
}

inline int device_sm_count() {
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
    throw std::runtime_error("cannot query the multiprocessor count of the current device");
  return sms;
}

// Checks done before any launch; each throws std::invalid_argument with a one-line reason.
inline void validate_call(Problem const& p, GemmArgs const& g, size_t workspace_bytes,
                          size_t required_workspace) {
  validate_problem(p);
  if (!g.a || !g.b || !g.out) throw std::invalid_argument("A, B and the output must not be null");
  if (!g.scales) throw std::invalid_argument("weight scales must not be null");
  if (p.quant == Quant::kScaleOnly && g.zeros)
    throw std::invalid_argument("zero points were given to a scale-only GEMM");
  if (p.quant == Quant::kScaleZeros && !g.zeros)
    throw std::invalid_argument("scale-and-zeros GEMM needs zero points (got null)");
  if (p.has_bias != (g.bias != nullptr))
    throw std::invalid_argument(p.has_bias ? "bias requested but null" : "bias given but not requested");
  if (workspace_bytes < required_workspace)
    throw std::invalid_argument("workspace too small: " + std::to_string(workspace_bytes) +
                                " bytes given, the SM90 rule needs " +
                                std::to_string(required_workspace));
}

namespace detail {

template <typename T, cutlass::WeightOnlyQuantOp Q>
struct Gemm {
#ifdef W4A16_USE_TRTLLM_RUNNER
  static tensorrt_llm::kernels::cutlass_kernels::CutlassFpAIntBGemmRunner<T, cutlass::uint4b_t, Q>&
  runner() {
    static tensorrt_llm::kernels::cutlass_kernels::CutlassFpAIntBGemmRunner<T, cutlass::uint4b_t, Q> r;
    return r;
  }
  static size_t workspace(int m, int n, int k) { return runner().getWorkspaceSize(m, n, k); }
  static std::vector<tkc::CutlassGemmConfig> configs() { return runner().getConfigs(); }
  static void run(Problem const& p, GemmArgs const& g, tkc::CutlassGemmConfig const& c, char* ws,
                  size_t ws_bytes, cudaStream_t s) {
    runner().gemm(g.a, g.b, g.scales, g.zeros, g.bias, p.alpha, g.out, p.m, p.n, p.k, p.group, c,
                  ws, ws_bytes, s);
  }
#else
  static size_t workspace(int, int, int) { return sm90_workspace_bytes(device_sm_count()); }
  static std::vector<tkc::CutlassGemmConfig> configs() { return candidate_configs(); }
  static void run(Problem const& p, GemmArgs const& g, tkc::CutlassGemmConfig const& c, char* ws,
                  size_t ws_bytes, cudaStream_t s) {
    tensorrt_llm::kernels::cutlass_kernels_oss::sm90_dispatch_gemm_to_cutlass<
        T, cutlass::uint4b_t, T, T, T, Q, tkc::EpilogueOpBias>(
        static_cast<T const*>(g.a), static_cast<cutlass::uint4b_t const*>(g.b),
        static_cast<T const*>(g.scales), static_cast<T const*>(g.zeros),
        static_cast<T const*>(g.bias), p.alpha, static_cast<T*>(g.out), p.m, p.n, p.k, p.group,
        ws, ws_bytes, c, s);
  }
#endif
};

template <typename F>
decltype(auto) with_types(Act act, Quant quant, F&& f) {
  constexpr auto kS = cutlass::WeightOnlyQuantOp::FINEGRAINED_SCALE_ONLY;
  constexpr auto kZ = cutlass::WeightOnlyQuantOp::FINEGRAINED_SCALE_AND_ZEROS;
  if (act == Act::kFp16)
    return quant == Quant::kScaleOnly ? f(Gemm<half, kS>{}) : f(Gemm<half, kZ>{});
  return quant == Quant::kScaleOnly ? f(Gemm<__nv_bfloat16, kS>{}) : f(Gemm<__nv_bfloat16, kZ>{});
}

}  // namespace detail

// Workspace for one problem: the runner's answer in a TensorRT-LLM tree, the SM90 rule on
// the slice (they agree on SM90: the runner ignores M, N, K there).
inline size_t workspace_bytes(Problem const& p) {
  return detail::with_types(p.act, p.quant,
                            [&](auto gemm) { return decltype(gemm)::workspace(p.m, p.n, p.k); });
}

// The configs the API offers for this (activation, quant op).
inline std::vector<tkc::CutlassGemmConfig> api_configs(Act act, Quant quant) {
  return detail::with_types(act, quant, [](auto gemm) { return decltype(gemm)::configs(); });
}

// Straight into TensorRT-LLM with no checks of ours: only for reproducing what TensorRT-LLM
// itself does with bad arguments (e.g. a too-small workspace).
inline void run_gemm_unchecked(Problem const& p, GemmArgs const& g,
                               tkc::CutlassGemmConfig const& config, char* workspace,
                               size_t workspace_size, cudaStream_t stream) {
  detail::with_types(p.act, p.quant, [&](auto gemm) {
    decltype(gemm)::run(p, g, config, workspace, workspace_size, stream);
  });
}

// Validate, then launch one GEMM on `stream` (asynchronous; the caller synchronises).
inline void run_gemm(Problem const& p, GemmArgs const& g, tkc::CutlassGemmConfig const& config,
                     char* workspace, size_t workspace_size, cudaStream_t stream) {
  if (!tactic_compiled(p.act, p.quant, config))
    throw std::invalid_argument("tactic " + tactic_name(config) + " is not compiled into this build (" +
                                build_filter() + ")");
  validate_call(p, g, workspace_size, workspace_bytes(p));
  run_gemm_unchecked(p, g, config, workspace, workspace_size, stream);
}

}  // namespace w4a16
