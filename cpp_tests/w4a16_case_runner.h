// Problem set-up and the tactic runner, shared by the GoogleTest cases
// (w4a16_sm90_simple_test.cu) and the command-line tool (w4a16_sm90_tool.cu): random inputs
// on the device with an independent float64 reference, poisoned outputs, and one tactic run
// under stream capture so that the kernels it launched are known.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "w4a16_cuda_util.h"
#include "w4a16_gemm_adapter.h"
#include "w4a16_host_ref.h"

namespace w4a16 {

// Why GPU work cannot run here, or "" when an SM90 device is present (asked once).
inline std::string gpu_unavailable_reason() {
  static std::string const reason = sm90_unavailable_reason();
  return reason;
}

// ---- independent reference --------------------------------------------------------------
//
// Plain CUDA, float64 accumulation, reading the raw row-major int4 values (not the SM90
// layout) and the scales/zeros/bias in their natural layouts. It shares nothing with
// CUTLASS. It also returns S = |alpha| * sqrt(sum_k (a w)^2) for the error model.

template <typename T>
__device__ double to_double(T x);
template <>
inline __device__ double to_double<half>(half x) { return static_cast<double>(__half2float(x)); }
template <>
inline __device__ double to_double<__nv_bfloat16>(__nv_bfloat16 x) {
  return static_cast<double>(__bfloat162float(x));
}

template <typename T>
__global__ void reference_kernel(T const* a, int8_t const* q, T const* scales, T const* zeros,
                                 T const* bias, double alpha, int m, int n, int k, int group,
                                 double* ref, double* s_norm) {
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  int row = blockIdx.y;
  if (col >= n || row >= m) return;
  double acc = 0, sq = 0;
  T const* a_row = a + static_cast<size_t>(row) * k;
  for (int kk = 0; kk < k; ++kk) {
    size_t g = static_cast<size_t>(kk / group) * n + col;
    double w = static_cast<double>(q[static_cast<size_t>(kk) * n + col]) * to_double(scales[g]);
    if (zeros) w += to_double(zeros[g]);
    double prod = to_double(a_row[kk]) * w;
    acc += prod;
    sq += prod * prod;
  }
  double out = alpha * acc + (bias ? to_double(bias[col]) : 0.0);
  ref[static_cast<size_t>(row) * n + col] = out;
  s_norm[static_cast<size_t>(row) * n + col] = fabs(alpha) * sqrt(sq);
}

// G of the error model for TensorRT-LLM's CUDA-core GEMV (w4a16_host_ref.h): the rounded
// values along its accumulation chains, chunk c of kGemvChunk consecutive k going to thread
// c % kGemvThreads. Shares nothing with the GEMV but that structure.
template <typename T>
__global__ void gemv_chain_kernel(T const* a, int8_t const* q, T const* scales, T const* zeros,
                                  double alpha, int m, int n, int k, int group, double* g_norm) {
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  int row = blockIdx.y;
  if (col >= n || row >= m) return;
  T const* a_row = a + static_cast<size_t>(row) * k;
  int const chunks = k / kGemvChunk;
  double sq = 0;
  for (int t = 0; t < kGemvThreads; ++t) {
    double acc = 0;
    for (int c = t; c < chunks; c += kGemvThreads) {
      size_t const g = static_cast<size_t>(c * kGemvChunk / group) * n + col;
      double const s = to_double(scales[g]);
      double local = 0;
      for (int j = 0; j < kGemvChunk; ++j) {
        int const kk = c * kGemvChunk + j;
        double const qv = static_cast<double>(q[static_cast<size_t>(kk) * n + col]);
        double const av = to_double(a_row[kk]);
        if (zeros) {
          double const w = qv * s + to_double(zeros[g]);
          acc += w * av;
          sq += acc * acc + (av * w) * (av * w);
        } else {
          local += qv * av;
          sq += (s * local) * (s * local);
        }
      }
      if (!zeros) {
        acc += s * local;
        sq += acc * acc;
      }
    }
  }
  g_norm[static_cast<size_t>(row) * n + col] = fabs(alpha) * sqrt(sq);
}

// One problem's inputs on the device, with its reference output. g_norm (the GEMV's error
// scale) is computed only for M the GEMV handles.
struct PreparedCase {
  Problem p;
  unsigned long long seed = 0;
  std::unique_ptr<DeviceBuffer> a, q_raw, b, scales, zeros, bias;
  std::vector<double> ref, s_norm, g_norm;
};

// Runs f with a value of the activation's type (half or __nv_bfloat16), then waits for the GPU.
template <typename F>
inline void launch_for(Act act, F&& f) {
  if (act == Act::kFp16)
    f(half{});
  else
    f(__nv_bfloat16{});
  W4A16_CUDA(cudaGetLastError());
  W4A16_CUDA(cudaDeviceSynchronize());
}

inline std::vector<double> download(DeviceBuffer const& buf, size_t count) {
  std::vector<double> host(count);
  W4A16_CUDA(cudaMemcpy(host.data(), buf.ptr, count * sizeof(double), cudaMemcpyDeviceToHost));
  return host;
}

inline std::unique_ptr<PreparedCase> prepare(Problem const& p, unsigned long long seed,
                                      bool with_reference = true) {
  auto c = std::make_unique<PreparedCase>();
  c->p = p;
  c->seed = seed;
  std::mt19937_64 rng(seed);
  HostData h = make_random_data(p, rng);
  c->a = DeviceBuffer::from(h.a);
  c->q_raw = DeviceBuffer::from(h.q);
  c->b = DeviceBuffer::from(kernel_weights(h.q.data(), p.k, p.n));
  c->scales = DeviceBuffer::from(h.scales);
  if (!h.zeros.empty()) c->zeros = DeviceBuffer::from(h.zeros);
  if (!h.bias.empty()) c->bias = DeviceBuffer::from(h.bias);
  if (!with_reference) return c;

  size_t const outs = static_cast<size_t>(p.m) * p.n;
  DeviceBuffer ref(outs * sizeof(double)), s_norm(outs * sizeof(double));
  dim3 block(128), grid((p.n + 127) / 128, p.m);
  launch_for(p.act, [&](auto tag) {
    using T = decltype(tag);
    reference_kernel<T><<<grid, block>>>(
        static_cast<T const*>(c->a->ptr), static_cast<int8_t const*>(c->q_raw->ptr),
        static_cast<T const*>(c->scales->ptr), c->zeros ? static_cast<T const*>(c->zeros->ptr) : nullptr,
        c->bias ? static_cast<T const*>(c->bias->ptr) : nullptr, p.alpha, p.m, p.n, p.k, p.group,
        static_cast<double*>(ref.ptr), static_cast<double*>(s_norm.ptr));
  });
  c->ref = download(ref, outs);
  c->s_norm = download(s_norm, outs);
  if (p.m <= kGemvMaxM) {
    launch_for(p.act, [&](auto tag) {
      using T = decltype(tag);
      gemv_chain_kernel<T><<<grid, block>>>(
          static_cast<T const*>(c->a->ptr), static_cast<int8_t const*>(c->q_raw->ptr),
          static_cast<T const*>(c->scales->ptr), c->zeros ? static_cast<T const*>(c->zeros->ptr) : nullptr,
          p.alpha, p.m, p.n, p.k, p.group, static_cast<double*>(s_norm.ptr));
    });
    c->g_norm = download(s_norm, outs);
  }
  return c;
}

// The device pointers of a prepared case, writing to `out`.
inline GemmArgs args_for(PreparedCase const& c, void* out) {
  GemmArgs g;
  g.a = c.a->ptr;
  g.b = c.b->ptr;
  g.scales = c.scales->ptr;
  g.zeros = c.zeros ? c.zeros->ptr : nullptr;
  g.bias = c.bias ? c.bias->ptr : nullptr;
  g.out = out;
  return g;
}

// An output buffer filled with NaN bit patterns, and whether anything has written to it.
struct PoisonedOutput {
  DeviceBuffer buf;
  explicit PoisonedOutput(size_t elements) : buf(elements * sizeof(uint16_t)) {
    W4A16_CUDA(cudaMemset(buf.ptr, kPoisonByte, buf.bytes));
  }
  std::vector<uint16_t> read() const {
    W4A16_CUDA(cudaDeviceSynchronize());
    std::vector<uint16_t> host(buf.bytes / sizeof(uint16_t));
    W4A16_CUDA(cudaMemcpy(host.data(), buf.ptr, buf.bytes, cudaMemcpyDeviceToHost));
    return host;
  }
  bool untouched() const {
    auto host = read();
    return std::all_of(host.begin(), host.end(), [](uint16_t b) { return b == kPoisonBits; });
  }
};

// W4A16_SEED when set, else a fresh seed; the same for the whole process.
inline unsigned long long run_seed() {
  static unsigned long long const seed = [] {
    if (char const* env = std::getenv("W4A16_SEED")) return std::strtoull(env, nullptr, 10);
    return static_cast<unsigned long long>(std::random_device{}()) << 32 ^
           static_cast<unsigned long long>(
               std::chrono::steady_clock::now().time_since_epoch().count());
  }();
  return seed;
}

// ---- one tactic run ---------------------------------------------------------------------

// A workspace that grows to the largest size asked for and is kept for the process.
inline DeviceBuffer& shared_workspace(size_t bytes) {
  static std::unique_ptr<DeviceBuffer> ws;
  if (!ws || ws->bytes < bytes) {
    ws.reset();
    ws = std::make_unique<DeviceBuffer>(bytes);
  }
  return *ws;
}

// The non-blocking stream tactic runs are captured on.
inline cudaStream_t tactic_stream() {
  static cudaStream_t const stream = [] {
    cudaStream_t s = nullptr;
    W4A16_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    return s;
  }();
  return stream;
}

// What one tactic produced, and the kernels that produced it.
struct TacticRun {
  std::vector<uint16_t> out;
  std::vector<std::string> kernels;
};

// Poison the output, launch one tactic (captured, so the kernels it launched are known),
// synchronise, read back.
inline TacticRun run_tactic(PreparedCase const& c, tkc::CutlassGemmConfig const& config) {
  Problem const& p = c.p;
  PoisonedOutput out(static_cast<size_t>(p.m) * p.n);
  size_t const ws_bytes = workspace_bytes(p);
  DeviceBuffer& ws = shared_workspace(ws_bytes);
  W4A16_CUDA(cudaDeviceSynchronize());
  TacticRun r;
  r.kernels = run_captured(
      [&](cudaStream_t s) {
        run_gemm(p, args_for(c, out.buf.ptr), config, static_cast<char*>(ws.ptr), ws_bytes, s);
      },
      tactic_stream());
  W4A16_CUDA(cudaGetLastError());
  r.out = out.read();
  return r;
}

// The families of the launched kernels, joined by " + " (the `kernel` property and field).
inline std::string families(std::vector<std::string> const& kernels) {
  std::string out;
  for (auto const& k : kernels) out += (out.empty() ? "" : " + ") + kernel_family(k);
  return out;
}

// A problem from its fields (Problem has no constructor taking them).
inline Problem make(int m, int n, int k, int g, Act act, Quant quant, bool bias, float alpha) {
  Problem p;
  p.m = m; p.n = n; p.k = k; p.group = g; p.act = act; p.quant = quant; p.has_bias = bias;
  p.alpha = alpha;
  return p;
}

}  // namespace w4a16
