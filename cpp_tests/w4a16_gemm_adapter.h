// The one place the test touches TensorRT-LLM's GEMM API. Chosen at compile time:
//
// * W4A16_USE_TRTLLM_RUNNER (a full-tree build, or inside TensorRT-LLM where no generated
//   registry header exists): CutlassFpAIntBGemmRunner with its getWorkspaceSize, getConfigs
//   and gemm, and TensorRT-LLM's CUDA-core GEMV through weight_only::kernel_launcher.
// * otherwise (the kernel-only slice): the SM90 dispatch that the runner calls on Hopper,
//   sm90_dispatch_gemm_to_cutlass.
// Where a generated registry exists it says which tactics this build compiled.
//
// The heuristic's candidate list ends with a copy of its first tile flagged enableCudaKernel:
// TensorRT-LLM's weight-only plugins run the CUDA-core GEMV for that entry, not CUTLASS, so
// here it is the tactic `cuda_core_gemv`, runnable where the GEMV was built.
//
// Every path validates the problem and refuses a workspace smaller than the SM90 rule before
// anything is launched: TensorRT-LLM's launcher only logs that case and runs anyway.
#pragma once

#include <cuda_runtime_api.h>

#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cutlass/numeric_types.h"
#include "cutlass_extensions/gemm_configs.h"
#include "cutlass_extensions/weight_only_quant_op.h"
#include "tensorrt_llm/kernels/cutlass_kernels/cutlass_heuristic.h"
#include "w4a16_host_ref.h"

// Our builds generate w4a16_tactic_registry.h; inside TensorRT-LLM there is none, every tactic
// is in libtensorrt_llm, and the runner is used.
#if __has_include("w4a16_tactic_registry.h")
#define W4A16_HAS_REGISTRY 1
// The registry includes the SM90 dispatch (and what that header forgets to include).
#include "w4a16_tactic_registry.h"
#elif !defined(W4A16_USE_TRTLLM_RUNNER)
#define W4A16_USE_TRTLLM_RUNNER 1
#endif

#ifdef W4A16_USE_TRTLLM_RUNNER
#include "tensorrt_llm/kernels/cutlass_kernels/fpA_intB_gemm/fpA_intB_gemm.h"
// The CUDA-core GEMV where the tree has it; a full-tree build's GEMV registry declares the
// GEMVs it leaves out before TensorRT-LLM's launcher names them.
#if __has_include("w4a16_gemv_registry.h")
#include "w4a16_gemv_registry.h"
#define W4A16_HAS_GEMV 1
#elif __has_include("tensorrt_llm/kernels/weightOnlyBatchedGemv/kernelLauncher.h")
#include "tensorrt_llm/kernels/weightOnlyBatchedGemv/kernelLauncher.h"
#define W4A16_HAS_GEMV 1
#endif
// TensorRT-LLM's weight preprocessing, as users run it on their weights.
#if __has_include("tensorrt_llm/kernels/cutlass_kernels/cutlass_preprocessors.h")
#include "tensorrt_llm/kernels/cutlass_kernels/cutlass_preprocessors.h"
#define W4A16_HAS_TRTLLM_PREPROCESSOR 1
#endif
#endif

namespace w4a16 {

namespace tkc = tensorrt_llm::cutlass_extensions;

inline constexpr char const* kAdapterName =
#ifdef W4A16_USE_TRTLLM_RUNNER
    "CutlassFpAIntBGemmRunner";
#else
    "sm90_dispatch_gemm_to_cutlass";
#endif

// ---- weight preprocessing -----------------------------------------------------------------

#ifdef W4A16_HAS_TRTLLM_PREPROCESSOR
inline constexpr char const* kPreprocessorName = "preprocess_weights_for_mixed_gemm";

// TensorRT-LLM's input: the signed int4 values row-major [K, N], two per byte, low nibble first.
inline std::vector<size_t> trtllm_shape(int k, int n) {
  return {static_cast<size_t>(k), static_cast<size_t>(n)};
}

// preprocess_weights_for_mixed_gemm itself: it asks the current device for its architecture,
// so it needs a GPU.
inline std::vector<uint8_t> trtllm_preprocess(int8_t const* q, int k, int n) {
  check_weight_shape(k, n);
  std::vector<int8_t> values(q, q + static_cast<size_t>(k) * n);
  std::vector<uint8_t> packed = pack_int4(values), out(packed.size());
  tensorrt_llm::kernels::cutlass_kernels::preprocess_weights_for_mixed_gemm(
      reinterpret_cast<int8_t*>(out.data()), reinterpret_cast<int8_t const*>(packed.data()),
      trtllm_shape(k, n), tensorrt_llm::kernels::cutlass_kernels::QuantType::W4_A16);
  return out;
}

// The same transformation for SM90 without a GPU: TensorRT-LLM's exported steps called as
// preprocess_weights_for_mixed_gemm calls them on SM90 (row permutation for arch 90, transpose
// to column major, no column interleave on SM90, then the +8 bias and nibble interleave).
inline std::vector<uint8_t> trtllm_preprocess_sm90_steps(int8_t const* q, int k, int n) {
  namespace tck = tensorrt_llm::kernels::cutlass_kernels;
  check_weight_shape(k, n);
  std::vector<int8_t> values(q, q + static_cast<size_t>(k) * n);
  std::vector<uint8_t> a = pack_int4(values), b(a.size());
  auto const shape = trtllm_shape(k, n);
  tck::permute_B_rows_for_mixed_gemm(reinterpret_cast<int8_t*>(b.data()),
                                     reinterpret_cast<int8_t const*>(a.data()), shape,
                                     tck::QuantType::W4_A16, 90);
  tck::subbyte_transpose(reinterpret_cast<int8_t*>(a.data()), reinterpret_cast<int8_t const*>(b.data()),
                         shape, tck::QuantType::W4_A16);
  tck::add_bias_and_interleave_quantized_tensor_inplace(reinterpret_cast<int8_t*>(a.data()),
                                                        static_cast<size_t>(k) * n,
                                                        tck::QuantType::W4_A16);
  return a;
}

// TensorRT-LLM's preprocessor takes K and N that are multiples of 64 (its transpose checks
// that rows and columns are whole 32-byte vectors; it stops the process otherwise). Other
// shapes, which our kernels' tests also cover (N a multiple of 8), get our layout.
inline bool trtllm_preprocessor_accepts(int k, int n) { return k % 64 == 0 && n % 64 == 0; }

// The weights the kernels get: what TensorRT-LLM's users feed them where it takes the shape.
inline std::vector<uint8_t> kernel_weights(int8_t const* q, int k, int n) {
  return trtllm_preprocessor_accepts(k, n) ? trtllm_preprocess(q, k, n) : preprocess_sm90(q, k, n);
}
inline std::string preprocessing_name(int k, int n) {
  return trtllm_preprocessor_accepts(k, n)
             ? std::string(kPreprocessorName)
             : "w4a16::preprocess_sm90 (TensorRT-LLM's preprocessor takes K, N multiples of 64)";
}
#else
inline constexpr char const* kPreprocessorName = "w4a16::preprocess_sm90";
// The kernel slice has no preprocessor: our own SM90 layout (checked against TensorRT-LLM's
// where a full tree is built).
inline std::vector<uint8_t> kernel_weights(int8_t const* q, int k, int n) {
  return preprocess_sm90(q, k, n);
}
inline std::string preprocessing_name(int, int) { return kPreprocessorName; }
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
#ifdef TLLM_SM90_WEIGHT_ONLY_256_ROW_TILES
    case tkc::CutlassTileConfigSM90::CtaShape256x16x128B:
    case tkc::CutlassTileConfigSM90::CtaShape256x32x128B:
    case tkc::CutlassTileConfigSM90::CtaShape256x64x128B:
    case tkc::CutlassTileConfigSM90::CtaShape256x128x128B:
      return 256;
#endif
    default:
      return 0;
  }
}

inline int tile_n(tkc::CutlassGemmConfig const& c) {
  switch (c.tile_config_sm90) {
    case tkc::CutlassTileConfigSM90::CtaShape64x16x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x16x128B:
#ifdef TLLM_SM90_WEIGHT_ONLY_256_ROW_TILES
    case tkc::CutlassTileConfigSM90::CtaShape256x16x128B:
#endif
      return 16;
    case tkc::CutlassTileConfigSM90::CtaShape64x32x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x32x128B:
#ifdef TLLM_SM90_WEIGHT_ONLY_256_ROW_TILES
    case tkc::CutlassTileConfigSM90::CtaShape256x32x128B:
#endif
      return 32;
    case tkc::CutlassTileConfigSM90::CtaShape64x64x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x64x128B:
#ifdef TLLM_SM90_WEIGHT_ONLY_256_ROW_TILES
    case tkc::CutlassTileConfigSM90::CtaShape256x64x128B:
#endif
      return 64;
    case tkc::CutlassTileConfigSM90::CtaShape64x128x128B:
    case tkc::CutlassTileConfigSM90::CtaShape128x128x128B:
#ifdef TLLM_SM90_WEIGHT_ONLY_256_ROW_TILES
    case tkc::CutlassTileConfigSM90::CtaShape256x128x128B:
#endif
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

// The name of the GEMV tactic (the candidate flagged enableCudaKernel), as in tactics.py.
inline constexpr char const* kGemvTactic = "cuda_core_gemv";
// TensorRT-LLM's GEMV dispatcher has kernels for M = 1..15 only (and TensorRT-LLM offers it
// as a tactic for M < 16).
inline constexpr int kGemvMaxM = 15;

inline bool is_gemv(tkc::CutlassGemmConfig const& c) { return c.enableCudaKernel; }

// Same spelling as scripts/w4a16/tactics.py: tile128x16x64_cluster2x1x1_coop. The K tile is
// 128 bytes of activations, 64 fp16/bf16 elements.
// A config that names no SM90 tile (a default-constructed CutlassGemmConfig): the dispatch
// picks the tile from M (fix 0006 of the series), from the whole problem and the SM count (fix
// 0009), or, without those fixes, refuses it.
inline bool is_default_config(tkc::CutlassGemmConfig const& c) {
  return !c.enableCudaKernel &&
         c.tile_config_sm90 == tkc::CutlassTileConfigSM90::ChooseWithHeuristic;
}

// The tactic a default config runs for m tokens of an n x k weight with this group size on a GPU
// of sm_count SMs; nothing where the sources lack the rule.
inline std::optional<tkc::CutlassGemmConfig> default_config_pick(int m, int n, int k, int group,
                                                                 int sm_count) {
#if defined(TLLM_SM90_WEIGHT_ONLY_DEFAULT_CONFIG_BY_SHAPE)
  return tensorrt_llm::kernels::cutlass_kernels_oss::sm90_weight_only_default_config(m, n, k, group,
                                                                                    sm_count);
#elif defined(TLLM_SM90_WEIGHT_ONLY_DEFAULT_CONFIG)
  (void)n, (void)k, (void)group, (void)sm_count;
  return tensorrt_llm::kernels::cutlass_kernels_oss::sm90_weight_only_default_config(m);
#else
  (void)m, (void)n, (void)k, (void)group, (void)sm_count;
  return std::nullopt;
#endif
}

inline constexpr char const* kDefaultConfigName = "sm90_default_config";

inline std::string tactic_name(tkc::CutlassGemmConfig const& c) {
  if (is_gemv(c)) return kGemvTactic;
  if (is_default_config(c)) return kDefaultConfigName;
  int cm = 0, cn = 0;
  cluster_shape(c, cm, cn);
  int tm = tile_m(c);
  std::ostringstream os;
  os << "tile" << tm << "x" << tile_n(c) << "x64_cluster" << cm << "x" << cn << "x1_"
     << (tm == 64 ? "pingpong" : "coop");
  return os.str();
}

inline std::string build_filter() {
#ifdef W4A16_HAS_REGISTRY
  return kBuildFilter;
#else
  return "full TensorRT-LLM build";
#endif
}

// Was this CUTLASS (activation, quant op, tactic) compiled into the binary? Inside TensorRT-LLM
// every tactic is. The GEMV entry: see gemv_unavailable.
inline bool tactic_compiled(Act act, Quant quant, tkc::CutlassGemmConfig const& c) {
#ifdef W4A16_HAS_REGISTRY
  if (is_gemv(c)) return false;
  int cm = 0, cn = 0;
  cluster_shape(c, cm, cn);
  for (auto const& t : kCompiledTactics) {
    if (std::string(t.activation) == act_name(act) && std::string(t.quant_op) == quant_name(quant) &&
        t.tile_m == tile_m(c) && t.tile_n == tile_n(c) && t.cluster_m == cm && t.cluster_n == cn)
      return true;
  }
  return false;
#else
  (void)act;
  (void)quant;
  return !is_gemv(c);
#endif
}

// Why the GEMV cannot run this problem, or "" when it can.
inline std::string gemv_unavailable(Problem const& p) {
#ifndef W4A16_HAS_GEMV
  (void)p;
  return "the CUDA-core GEMV is not in these kernel sources (the flashinfer slice has none: slim "
         "build)";
#else
  if (p.m > kGemvMaxM)
    return "TensorRT-LLM's CUDA-core GEMV has kernels for M <= " + std::to_string(kGemvMaxM) +
           " only (M = " + std::to_string(p.m) + ")";
  if (p.group != 64 && p.group != 128)
    return "TensorRT-LLM's CUDA-core GEMV has group sizes 64 and 128 only";
#ifdef W4A16_HAS_REGISTRY
  for (auto const& g : kCompiledGemv)
    if (std::string(g.activation) == act_name(p.act) && g.zeros == (p.quant == Quant::kScaleZeros) &&
        g.group == p.group)
      return "";
  return std::string("the CUDA-core GEMV for ") + act_name(p.act) + "/" + quant_name(p.quant) +
         " group " + std::to_string(p.group) + " is not compiled in this build (" + build_filter() +
         ")";
#else
  return "";
#endif
#endif
}

inline int device_sm_count() {
  int dev = 0, sms = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
    throw std::runtime_error("cannot query the multiprocessor count of the current device");
  return sms;
}

// The tactic a default config runs for this problem on the current device.
inline std::optional<tkc::CutlassGemmConfig> default_config_pick(Problem const& p) {
  return default_config_pick(p.m, p.n, p.k, p.group, device_sm_count());
}

// Why this tactic cannot run this problem in this build, or "" when it can.
inline std::string tactic_unavailable(Problem const& p, tkc::CutlassGemmConfig const& c) {
  if (is_gemv(c)) return gemv_unavailable(p);
  if (is_default_config(c)) {
    std::optional<tkc::CutlassGemmConfig> const pick = default_config_pick(p);
    if (!pick)
      return "the SM90 dispatch of these kernel sources has no default config (fix 0006 of the "
             "series is not applied)";
    return tactic_unavailable(p, *pick);
  }
  if (!tactic_compiled(p.act, p.quant, c))
    return "tactic " + tactic_name(c) + " for " + act_name(p.act) + "/" + quant_name(p.quant) +
           " is not compiled in this build (" + build_filter() + ")";
  return "";
}

inline int device_sm_version() {
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess)
    throw std::runtime_error("cannot query the compute capability of the current device");
  return major * 10 + minor;
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

#ifdef W4A16_HAS_GEMV
// TensorRT-LLM's CUDA-core GEMV as its weight-only plugins call it: the same preprocessed
// weights, scales and zeros as the CUTLASS kernels, the SM version of the device.
inline void run_gemv(Problem const& p, GemmArgs const& g, cudaStream_t s) {
  namespace wo = tensorrt_llm::kernels::weight_only;
  wo::KernelType const type =
      p.act == Act::kFp16 ? wo::KernelType::FP16Int4Groupwise : wo::KernelType::BF16Int4Groupwise;
  int const arch = device_sm_version();
  if (!wo::is_supported(arch, type))
    throw std::invalid_argument("TensorRT-LLM's CUDA-core GEMV does not support SM" +
                                std::to_string(arch));
  wo::Params params(g.a, nullptr, g.b, g.scales, g.zeros, g.bias, g.out, p.alpha, p.m, p.n, p.k,
                    p.group, type);
  wo::kernel_launcher(arch, params, s);
}
#endif

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
#ifdef W4A16_HAS_GEMV
  if (is_gemv(config)) return detail::run_gemv(p, g, stream);
#endif
  detail::with_types(p.act, p.quant, [&](auto gemm) {
    decltype(gemm)::run(p, g, config, workspace, workspace_size, stream);
  });
}

// Validate, then launch one GEMM on `stream` (asynchronous; the caller synchronises).
inline void run_gemm(Problem const& p, GemmArgs const& g, tkc::CutlassGemmConfig const& config,
                     char* workspace, size_t workspace_size, cudaStream_t stream) {
  std::string const why = tactic_unavailable(p, config);
  if (!why.empty()) throw std::invalid_argument(why);
  validate_call(p, g, workspace_size, workspace_bytes(p));
  run_gemm_unchecked(p, g, config, workspace, workspace_size, stream);
}

}  // namespace w4a16
