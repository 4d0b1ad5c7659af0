// The stream floor of a W4A16 problem: the time our simplest bandwidth kernel takes to move
// the bytes a W4A16 GEMM must move (every weight, scale, zero and activation byte read once,
// the output written once), timed by the bench's own method. The roofline floor divides
// those bytes by the rate of a 1 GiB copy; a kernel that moves 8 MB cannot reach that rate,
// since launch, the first DRAM round trip and the last wave's tail are not amortised. The
// stream floor measures what this GPU gives for this many bytes, so a GEMM's time can be read
// both against the copy rate and against moving its bytes without any arithmetic.
//
// The kernel: 256 threads a block, each thread four independent 16-byte loads issued before
// any is used, one block per 16 KiB of input, the output zero-filled by the same threads. Of
// the variants timed on the H200 (reports/h200/speed/stream_floor/variants/) it is among the
// fastest from 8 MB to 512 MiB, within 1% of the best at every size. Each block writes the
// 64-bit sum of the 32-bit words it read, each unit's weighted by its position, into its own
// slot, so that the check before timing can show every unit was read once, in its place
// (stream_sum_matches), without a shared atomic on the clock.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "w4a16_cuda_util.h"

namespace w4a16::bench {
namespace {

constexpr int kStreamThreads = 256, kStreamUnroll = 4, kStreamMaxSpans = 4;
constexpr unsigned kStreamUnitsPerBlock = kStreamThreads * kStreamUnroll;

// The buffers one launch reads, each in whole blocks of 16-byte units: span i is src[i] with
// units[i] units, read by blocks [first_block[i], first_block[i + 1]). Passed by value, so the
// launch needs no device copy.
struct StreamSpans {
  uint4 const* src[kStreamMaxSpans] = {};
  unsigned units[kStreamMaxSpans] = {};
  int first_block[kStreamMaxSpans + 1] = {};
  int count = 0;
  uint4* out = nullptr;
  size_t out_units = 0;
  unsigned long long* block_sums = nullptr;  // one slot per block

  void add(void const* ptr, size_t bytes) {
    if (count == kStreamMaxSpans) throw std::logic_error("stream floor: too many operands");
    if (bytes % sizeof(uint4) || reinterpret_cast<uintptr_t>(ptr) % sizeof(uint4))
      throw std::invalid_argument("stream floor: an operand is not whole 16-byte units");
    if (bytes / sizeof(uint4) > 0xFFFFFFFFu - kStreamUnitsPerBlock)
      throw std::invalid_argument("stream floor: an operand over 64 GiB");
    src[count] = static_cast<uint4 const*>(ptr);
    units[count] = static_cast<unsigned>(bytes / sizeof(uint4));
    first_block[count + 1] =
        first_block[count] +
        static_cast<int>((units[count] + kStreamUnitsPerBlock - 1) / kStreamUnitsPerBlock);
    ++count;
  }
  int blocks() const { return first_block[count]; }
};

// The sum of one 16-byte unit's four words: the kernel and the host check add the same way.
__host__ __device__ __forceinline__ unsigned long long word_sum(uint4 v) {
  return static_cast<unsigned long long>(v.x) + v.y + v.z + v.w;
}

// Every block reads within one span, found with constant indices only (a dynamic index would
// copy the spans to local memory), so the loads need only 32-bit offsets. At 28 registers a
// thread eight blocks fit an SM, 128 KiB of loads in flight; a first version at 46 registers
// fitted five and moved the same bytes 1.35x slower (reports/h200/speed/stream_floor/).
__global__ void __launch_bounds__(kStreamThreads) stream_operands(StreamSpans s) {
  int const block = blockIdx.x;
  uint4 const* src = s.src[0];
  unsigned units = s.units[0];
  int first = 0;
#pragma unroll
  for (int j = 1; j < kStreamMaxSpans; ++j)
    if (j < s.count && block >= s.first_block[j]) {
      src = s.src[j];
      units = s.units[j];
      first = s.first_block[j];
    }
  unsigned const base = static_cast<unsigned>(block - first) * kStreamUnitsPerBlock + threadIdx.x;
  uint4 v[kStreamUnroll];
#pragma unroll
  for (int u = 0; u < kStreamUnroll; ++u) {
    unsigned const i = base + u * kStreamThreads;
    v[u] = i < units ? __ldcs(src + i) : make_uint4(0, 0, 0, 0);
  }
  size_t const stride = static_cast<size_t>(gridDim.x) * kStreamThreads;
  for (size_t o = static_cast<size_t>(block) * kStreamThreads + threadIdx.x; o < s.out_units;
       o += stride)
    s.out[o] = make_uint4(0, 0, 0, 0);
  // Each unit's word sum weighted by its position (its place among all the launch's units, + 1),
  // so that reading one unit twice in place of another of the same content, as the tiled
  // weights would allow, changes the total.
  unsigned long long const position =
      static_cast<unsigned long long>(first) * kStreamUnitsPerBlock + base + 1;
  unsigned long long sum = 0;
#pragma unroll
  for (int u = 0; u < kStreamUnroll; ++u) sum += word_sum(v[u]) * (position + u * kStreamThreads);
  for (int lane = 16; lane; lane /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, lane);
  __shared__ unsigned long long warp_sums[kStreamThreads / 32];
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned long long total = 0;
    for (int w = 0; w < kStreamThreads / 32; ++w) total += warp_sums[w];
    s.block_sums[block] = total;
  }
}

void launch_stream(StreamSpans const& s, cudaStream_t stream) {
  stream_operands<<<s.blocks(), kStreamThreads, 0, stream>>>(s);
  W4A16_CUDA(cudaGetLastError());
}

// Whether one launch's block sums add up to the same position-weighted sum of the 32-bit words
// of its spans, computed on the host from copies of the buffers: a launch that skipped a unit,
// or read one unit in place of another, would miss it (all sums are modulo 2^64).
bool stream_sum_matches(StreamSpans const& s, cudaStream_t stream) {
  std::vector<unsigned long long> sums(s.blocks());
  W4A16_CUDA(cudaMemsetAsync(s.block_sums, 0, sums.size() * sizeof(sums[0]), stream));
  launch_stream(s, stream);
  W4A16_CUDA(cudaMemcpyAsync(sums.data(), s.block_sums, sums.size() * sizeof(sums[0]),
                             cudaMemcpyDeviceToHost, stream));
  W4A16_CUDA(cudaStreamSynchronize(stream));
  unsigned long long const device = std::accumulate(sums.begin(), sums.end(), 0ull);
  unsigned long long host = 0;
  std::vector<uint4> units;
  for (int i = 0; i < s.count; ++i) {
    units.resize(s.units[i]);
    W4A16_CUDA(cudaMemcpy(units.data(), s.src[i], units.size() * sizeof(uint4),
                          cudaMemcpyDeviceToHost));
    unsigned long long position =
        static_cast<unsigned long long>(s.first_block[i]) * kStreamUnitsPerBlock + 1;
    for (uint4 const& unit : units) host += word_sum(unit) * position++;
  }
  return device == host;
}

}  // namespace
}  // namespace w4a16::bench
