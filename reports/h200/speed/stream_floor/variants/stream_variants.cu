// stream_variants: which plain bandwidth kernel moves a decode GEMM's bytes fastest on this GPU.
// Each variant reads N bytes once with 16-byte loads and writes one 64-bit sum per block; it
// is timed like the bench times a tactic: CUDA-graph replays of L launches that rotate over
// copies of the buffer exceeding twice the L2 size (every launch reads from DRAM), median per
// launch. Every variant's sum is checked against the host's before it is timed.
//   nvcc -O3 -std=c++17 -arch=sm_90a -o stream_variants stream_variants.cu
//   ./stream_variants 8667136 30314496 121184256
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

#define CHECK(x)                                                                              \
  do {                                                                                        \
    cudaError_t e_ = (x);                                                                     \
    if (e_ != cudaSuccess) {                                                                  \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      std::exit(1);                                                                           \
    }                                                                                         \
  } while (0)

enum class Load { kStreaming, kNonCoherent, kDefault };

template <Load L>
__device__ __forceinline__ uint4 load16(uint4 const* p) {
  if constexpr (L == Load::kStreaming) return __ldcs(p);
  else if constexpr (L == Load::kNonCoherent) return __ldg(p);
  else return *p;
}

template <int Threads>
__device__ __forceinline__ void write_block_sum(unsigned long long sum, unsigned long long* out) {
  for (int lane = 16; lane; lane /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, lane);
  __shared__ unsigned long long warp_sums[Threads / 32];
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned long long block = 0;
    for (int w = 0; w < Threads / 32; ++w) block += warp_sums[w];
    out[blockIdx.x] = block;
  }
}

__device__ __forceinline__ unsigned long long word_sum(uint4 v) {
  return static_cast<unsigned long long>(v.x) + v.y + v.z + v.w;
}

// One block per Threads * Unroll units, each thread Unroll loads issued before any is used.
template <int Threads, int Unroll, Load L>
__global__ void __launch_bounds__(Threads) one_shot(uint4 const* src, size_t units,
                                                    unsigned long long* sums) {
  size_t const first = static_cast<size_t>(blockIdx.x) * Threads * Unroll + threadIdx.x;
  uint4 v[Unroll];
#pragma unroll
  for (int u = 0; u < Unroll; ++u) {
    size_t const i = first + static_cast<size_t>(u) * Threads;
    v[u] = i < units ? load16<L>(src + i) : make_uint4(0, 0, 0, 0);
  }
  unsigned long long sum = 0;
#pragma unroll
  for (int u = 0; u < Unroll; ++u) sum += word_sum(v[u]);
  write_block_sum<Threads>(sum, sums);
}

// A resident grid striding over the buffer, Unroll loads in flight per thread per step.
template <int Threads, int Unroll, Load L>
__global__ void __launch_bounds__(Threads) grid_stride(uint4 const* src, size_t units,
                                                       unsigned long long* sums) {
  size_t const step = static_cast<size_t>(gridDim.x) * Threads * Unroll;
  unsigned long long sum = 0;
  for (size_t base = static_cast<size_t>(blockIdx.x) * Threads * Unroll + threadIdx.x; base < units;
       base += step) {
    uint4 v[Unroll];
#pragma unroll
    for (int u = 0; u < Unroll; ++u) {
      size_t const i = base + static_cast<size_t>(u) * Threads;
      v[u] = i < units ? load16<L>(src + i) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < Unroll; ++u) sum += word_sum(v[u]);
  }
  write_block_sum<Threads>(sum, sums);
}

using Kernel = void (*)(uint4 const*, size_t, unsigned long long*);

struct Variant {
  char const* name;
  Kernel kernel;
  int threads, unroll;
  bool resident;  // grid = SMs x resident blocks per SM, else one block per Threads*Unroll units
};

template <int T, int U, Load L>
Variant one(char const* name) { return {name, one_shot<T, U, L>, T, U, false}; }
template <int T, int U, Load L>
Variant stride(char const* name) { return {name, grid_stride<T, U, L>, T, U, true}; }

int grid_of(Variant const& v, size_t units, int sms) {
  if (!v.resident) return static_cast<int>((units + size_t(v.threads) * v.unroll - 1) / (size_t(v.threads) * v.unroll));
  int per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, v.kernel, v.threads, 0));
  size_t const needed = (units + size_t(v.threads) * v.unroll - 1) / (size_t(v.threads) * v.unroll);
  return static_cast<int>(std::min<size_t>(size_t(per_sm) * sms, needed));
}

int main(int argc, char** argv) {
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::vector<Variant> variants = {
      one<256, 4, Load::kStreaming>("one_shot t256 u4 ldcs (bench)"),
      one<256, 4, Load::kNonCoherent>("one_shot t256 u4 ldg"),
      one<256, 8, Load::kNonCoherent>("one_shot t256 u8 ldg"),
      one<512, 4, Load::kNonCoherent>("one_shot t512 u4 ldg"),
      one<128, 8, Load::kNonCoherent>("one_shot t128 u8 ldg"),
      one<256, 2, Load::kNonCoherent>("one_shot t256 u2 ldg"),
      one<256, 4, Load::kDefault>("one_shot t256 u4 ld"),
      stride<256, 4, Load::kNonCoherent>("grid_stride t256 u4 ldg"),
      stride<512, 4, Load::kNonCoherent>("grid_stride t512 u4 ldg"),
      stride<256, 8, Load::kNonCoherent>("grid_stride t256 u8 ldg"),
      stride<1024, 2, Load::kNonCoherent>("grid_stride t1024 u2 ldg"),
      stride<256, 4, Load::kStreaming>("grid_stride t256 u4 ldcs"),
  };
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  std::printf("{\"device\": \"%s\", \"sms\": %d, \"l2_bytes\": %d}\n", prop.name, prop.multiProcessorCount,
              prop.l2CacheSize);
  for (int a = 1; a < argc; ++a) {
    size_t const bytes = std::strtoull(argv[a], nullptr, 10) / 16 * 16, units = bytes / 16;
    int const copies = static_cast<int>(2.0 * prop.l2CacheSize / bytes) + 1;
    std::vector<uint32_t> host(bytes / 4);
    unsigned long long seed = 88172645463325252ull, expect = 0;
    for (auto& w : host) {
      seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
      w = static_cast<uint32_t>(seed);
      expect += w;
    }
    std::vector<uint4*> bufs(copies);
    for (auto& b : bufs) {
      CHECK(cudaMalloc(&b, bytes));
      CHECK(cudaMemcpy(b, host.data(), bytes, cudaMemcpyHostToDevice));
    }
    unsigned long long* sums;
    CHECK(cudaMalloc(&sums, (units / 128 + 1) * sizeof(unsigned long long)));
    for (auto const& v : variants) {
      int const grid = grid_of(v, units, prop.multiProcessorCount);
      // check: the block sums add up to the host's word sum
      std::vector<unsigned long long> got(grid);
      v.kernel<<<grid, v.threads, 0, stream>>>(bufs[0], units, sums);
      CHECK(cudaGetLastError());
      CHECK(cudaMemcpyAsync(got.data(), sums, grid * sizeof(got[0]), cudaMemcpyDeviceToHost, stream));
      CHECK(cudaStreamSynchronize(stream));
      bool const ok = std::accumulate(got.begin(), got.end(), 0ull) == expect;
      // time: graphs of L launches over the copies, median per launch of 15 replays
      int const launches = std::max(copies, 32 / copies * copies);
      cudaGraph_t graph;
      cudaGraphExec_t exec;
      CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
      for (int l = 0; l < launches; ++l) v.kernel<<<grid, v.threads, 0, stream>>>(bufs[l % copies], units, sums);
      CHECK(cudaStreamEndCapture(stream, &graph));
      CHECK(cudaGraphInstantiate(&exec, graph, 0));
      for (int w = 0; w < 3; ++w) CHECK(cudaGraphLaunch(exec, stream));
      std::vector<double> us;
      for (int r = 0; r < 15; ++r) {
        CHECK(cudaEventRecord(e0, stream));
        CHECK(cudaGraphLaunch(exec, stream));
        CHECK(cudaEventRecord(e1, stream));
        CHECK(cudaEventSynchronize(e1));
        float ms = 0;
        CHECK(cudaEventElapsedTime(&ms, e0, e1));
        us.push_back(1000.0 * ms / launches);
      }
      std::sort(us.begin(), us.end());
      std::printf("{\"bytes\": %zu, \"variant\": \"%s\", \"grid\": %d, \"sum_ok\": %s, \"median_us\": %.3f, "
                  "\"min_us\": %.3f, \"tb_per_s\": %.3f}\n",
                  bytes, v.name, grid, ok ? "true" : "false", us[us.size() / 2], us[0],
                  bytes / us[us.size() / 2] / 1e6);
      CHECK(cudaGraphExecDestroy(exec));
      CHECK(cudaGraphDestroy(graph));
    }
    for (auto b : bufs) CHECK(cudaFree(b));
    CHECK(cudaFree(sums));
  }
  return 0;
}
