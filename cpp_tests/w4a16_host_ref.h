// Host-side pieces of the W4A16 SM90 test: int4 packing, the SM90 weight layout, random
// problem data and the error model. Everything here runs without a GPU so it can be unit
// tested on any machine.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace w4a16 {

enum class Act { kFp16, kBf16 };
enum class Quant { kScaleOnly, kScaleZeros };

inline char const* act_name(Act a) { return a == Act::kFp16 ? "fp16" : "bf16"; }
inline char const* quant_name(Quant q) {
  return q == Quant::kScaleOnly ? "scale_only" : "scale_zeros";
}

// Unit roundoff of the activation type: the error model is stated in these units.
inline double unit_roundoff(Act a) { return a == Act::kFp16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8); }

// ---- 16-bit floating point bit patterns (host) --------------------------------------------

inline uint16_t float_to_bits(float x, Act a) {
  uint16_t bits;
  if (a == Act::kFp16) {
    __half h = __float2half_rn(x);
    std::memcpy(&bits, &h, 2);
  } else {
    __nv_bfloat16 b = __float2bfloat16_rn(x);
    std::memcpy(&bits, &b, 2);
  }
  return bits;
}

inline float bits_to_float(uint16_t bits, Act a) {
  if (a == Act::kFp16) {
    __half h;
    std::memcpy(&h, &bits, 2);
    return __half2float(h);
  }
  __nv_bfloat16 b;
  std::memcpy(&b, &bits, 2);
  return __bfloat162float(b);
}

// 0xFFFF is a NaN in both fp16 and bf16: outputs are filled with it before each launch so an
// element the kernel never wrote reads back as NaN.
inline constexpr uint16_t kPoisonBits = 0xFFFF;
inline constexpr unsigned char kPoisonByte = 0xFF;

// ---- int4 packing -----------------------------------------------------------------------

// Signed int4 values in [-8, 7], two per byte, element 2i in the low nibble.
inline std::vector<uint8_t> pack_int4(std::vector<int8_t> const& values) {
  if (values.size() % 2 != 0) throw std::invalid_argument("pack_int4: odd number of values");
  std::vector<uint8_t> out(values.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int lo = values[2 * i], hi = values[2 * i + 1];
    if (lo < -8 || lo > 7 || hi < -8 || hi > 7)
      throw std::invalid_argument("pack_int4: value outside [-8, 7]");
    out[i] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
  }
  return out;
}

inline std::vector<int8_t> unpack_int4(std::vector<uint8_t> const& packed) {
  std::vector<int8_t> out(packed.size() * 2);
  for (size_t i = 0; i < packed.size(); ++i) {
    int lo = packed[i] & 0xF, hi = packed[i] >> 4;
    out[2 * i] = static_cast<int8_t>(lo >= 8 ? lo - 16 : lo);
    out[2 * i + 1] = static_cast<int8_t>(hi >= 8 ? hi - 16 : hi);
  }
  return out;
}

// ---- SM90 weight layout -----------------------------------------------------------------
//
// The mixed-input Hopper kernel reads int4 weights in a layout made from row-major [K, N]
// values in four steps: rows are permuted within blocks of 32, the matrix is stored
// column-major ([N, K], K contiguous, two values per byte, low nibble first), every nibble
// gets a +8 bias (so it is unsigned), and inside each 32-bit word the eight K-consecutive
// nibbles are stored even elements first, then odd ones.

// Row r of a 32-row block of the SM90 layout holds source row kRowPermutation[r].
inline constexpr std::array<int, 32> kRowPermutation = {
    0, 1, 8,  9,  16, 17, 24, 25, 2, 3, 10, 11, 18, 19, 26, 27,
    4, 5, 12, 13, 20, 21, 28, 29, 6, 7, 14, 15, 22, 23, 30, 31};
// Nibble j (from the least significant) of each 32-bit word holds element kNibbleOrder[j].
inline constexpr std::array<int, 8> kNibbleOrder = {0, 2, 4, 6, 1, 3, 5, 7};
inline constexpr int kInt4Bias = 8;

inline void check_weight_shape(int k, int n) {
  if (k <= 0 || n <= 0) throw std::invalid_argument("weights: K and N must be positive");
  if (k % 32 != 0)
    throw std::invalid_argument("weights: K=" + std::to_string(k) +
                                " must be a multiple of 32 for the SM90 layout");
}

// q: row-major [K, N] signed int4 values. Returns N*K/2 bytes in the kernel's layout.
inline std::vector<uint8_t> preprocess_sm90(int8_t const* q, int k, int n) {
  check_weight_shape(k, n);
  std::vector<uint8_t> out(static_cast<size_t>(n) * k / 2);
  for (int col = 0; col < n; ++col) {
    for (int k0 = 0; k0 < k; k0 += 8) {
      uint32_t word = 0;
      for (int j = 0; j < 8; ++j) {
        int kk = k0 + kNibbleOrder[j];                         // element of this column
        int src_row = (kk / 32) * 32 + kRowPermutation[kk % 32];  // after the row permutation
        int v = q[static_cast<size_t>(src_row) * n + col];
        if (v < -8 || v > 7) throw std::invalid_argument("preprocess_sm90: value outside [-8, 7]");
        word |= static_cast<uint32_t>((v + kInt4Bias) & 0xF) << (4 * j);
      }
      size_t byte = (static_cast<size_t>(col) * k + k0) / 2;
      for (int b = 0; b < 4; ++b) out[byte + b] = static_cast<uint8_t>(word >> (8 * b));
    }
  }
  return out;
}

// Exact inverse of preprocess_sm90, written the other way round (used by the host tests).
inline std::vector<int8_t> unpreprocess_sm90(std::vector<uint8_t> const& packed, int k, int n) {
  check_weight_shape(k, n);
  if (packed.size() != static_cast<size_t>(n) * k / 2)
    throw std::invalid_argument("unpreprocess_sm90: wrong byte count");
  std::array<int, 32> inverse_rows{};
  for (int r = 0; r < 32; ++r) inverse_rows[kRowPermutation[r]] = r;
  std::array<int, 8> inverse_nibbles{};
  for (int j = 0; j < 8; ++j) inverse_nibbles[kNibbleOrder[j]] = j;
  std::vector<int8_t> q(static_cast<size_t>(k) * n);
  for (int row = 0; row < k; ++row) {
    int stored = (row / 32) * 32 + inverse_rows[row % 32];  // where this source row went
    for (int col = 0; col < n; ++col) {
      size_t elem = static_cast<size_t>(col) * k + stored;
      size_t word_start = elem / 8 * 4;
      int nibble = inverse_nibbles[elem % 8];
      int byte = packed[word_start + nibble / 2];
      int v = (nibble % 2 == 0) ? (byte & 0xF) : (byte >> 4);
      q[static_cast<size_t>(row) * n + col] = static_cast<int8_t>(v - kInt4Bias);
    }
  }
  return q;
}

// ---- problem data -----------------------------------------------------------------------

struct Problem {
  int m = 0, n = 0, k = 0, group = 0;
  Act act = Act::kFp16;
  Quant quant = Quant::kScaleOnly;
  bool has_bias = false;
  float alpha = 1.f;
};

inline void validate_problem(Problem const& p) {
  auto bad = [](std::string const& what) { throw std::invalid_argument(what); };
  if (p.m <= 0 || p.n <= 0 || p.k <= 0)
    bad("M, N and K must be positive (got M=" + std::to_string(p.m) + " N=" + std::to_string(p.n) +
        " K=" + std::to_string(p.k) + ")");
  if (p.group <= 0 || p.group % 64 != 0)
    bad("group size " + std::to_string(p.group) +
        " must be a positive multiple of 64 (the kernel's K tile)");
  if (p.k % p.group != 0)
    bad("K=" + std::to_string(p.k) + " must be a multiple of the group size " +
        std::to_string(p.group));
  if (p.n % 8 != 0)
    bad("N=" + std::to_string(p.n) + " must be a multiple of 8 (16-byte rows of the output)");
  if (!std::isfinite(p.alpha)) bad("alpha must be finite");
}

// Host copies of one problem's inputs, all as raw bit patterns / int8 values.
struct HostData {
  std::vector<uint16_t> a;       // [M, K]
  std::vector<int8_t> q;         // [K, N] signed int4 values, not preprocessed
  std::vector<uint16_t> scales;  // [K/group, N]
  std::vector<uint16_t> zeros;   // [K/group, N] (scale_zeros only)
  std::vector<uint16_t> bias;    // [N] (has_bias only)
};

// Random inputs whose outputs stay well inside the fp16 range for K up to ~30k.
inline HostData make_random_data(Problem const& p, std::mt19937_64& rng) {
  validate_problem(p);
  std::uniform_real_distribution<float> unit(-1.f, 1.f), scale(0.5f, 1.5f);
  std::uniform_int_distribution<int> nib(-8, 7);
  HostData d;
  d.a.resize(static_cast<size_t>(p.m) * p.k);
  for (auto& x : d.a) x = float_to_bits(unit(rng), p.act);
  d.q.resize(static_cast<size_t>(p.k) * p.n);
  for (auto& x : d.q) x = static_cast<int8_t>(nib(rng));
  size_t groups = static_cast<size_t>(p.k / p.group) * p.n;
  d.scales.resize(groups);
  for (auto& x : d.scales) x = float_to_bits(scale(rng) / 64.f, p.act);
  if (p.quant == Quant::kScaleZeros) {
    d.zeros.resize(groups);
    for (auto& x : d.zeros) x = float_to_bits(unit(rng) / 32.f, p.act);
  }
  if (p.has_bias) {
    d.bias.resize(p.n);
    for (auto& x : d.bias) x = float_to_bits(unit(rng), p.act);
  }
  return d;
}

// ---- error model ------------------------------------------------------------------------
//
// The kernel converts int4 to the activation type exactly, then rounds w = q*s (and w + z)
// to the activation type: at most two roundings, each off by at most u/2 of |w|. Products
// with A are exact on the tensor cores and accumulate in fp32 (error ~K*2^-24, negligible),
// alpha and bias are applied in fp32 and the result is rounded once more (u/2 of |ref|).
// The weight rounding errors are independent across k, so for output (m, n) they sum like a
// random walk with standard deviation at most u/sqrt(3) * S, where
// S = |alpha| * sqrt(sum_k (a[m,k] w[k,n])^2). Per element we allow
//     |out - ref| <= u*|ref| + 5*u*S          (5u is ~8.7 sigma: no false alarm in 1e8 elements)
// and over the whole output ||out - ref|| / ||ref|| <= 4u (the expected value is about 0.65u
// for random data). A wrong layout, scale index or dequantization gives errors of order 1.
//
// TensorRT-LLM's CUDA-core GEMV (the tactic cuda_core_gemv) accumulates differently: in the
// activation type itself, along fixed chains. On SM90 (weightOnlyBatchedGemv, Hopper layout:
// 128 threads, each loading 128 bits = 32 int4 weights per step) chunk c of 32 consecutive k
// belongs to thread c % 128, iteration c / 128, and each step is one fused multiply-add
// rounded once to the activation type (u times the new value at most):
// * scale-only: per chunk, local = sum_j q_j a_j in k order (j = 0..31, each partial sum
//   rounded), then per thread acc += s_c * local (rounded) over its iterations;
// * with zeros: w = q*s + z is rounded once, then per thread acc += w a over all its k in
//   order (each partial sum rounded).
// The per-thread results are summed in fp32 and alpha, bias and the output rounding act as
// above. With every rounding independent and at most u/sqrt(3) in standard deviation relative
// to its value, the accumulated error has standard deviation at most u/sqrt(3) * G where
// G = |alpha| * sqrt(sum over all rounded values v of (scale of v)^2), the scale being s_c for
// the chunk partial sums, 1 for the thread partial sums (and a_k w_k for the rounded weights).
// The reference computes G exactly along those chains. Per element we allow the same form,
//     |out - ref| <= u*|ref| + 5*u*G          (again ~8.7 sigma)
// and over the output ||out - ref|| <= 4u*||ref|| + 2u*||G|| (the expected value is about
// 0.58u * sqrt(||ref||^2 + ||G||^2)). G is about sqrt(32/6) ~ 2.3x S for random data, so the
// bound stays far below the order-1 errors of a wrong layout.
enum class Accumulation { kFp32, kChains };

// The GEMV's chain structure on SM90, as read from TensorRT-LLM's weightOnlyBatchedGemv.
inline constexpr int kGemvChunk = 32;     // int4 weights per 128-bit load
inline constexpr int kGemvThreads = 128;  // threads per CTA
struct ErrorReport {
  size_t elements = 0;
  size_t nan_or_unwritten = 0;  // poisoned outputs read back as NaN
  size_t over_bound = 0;
  double max_violation = 0;  // max |out-ref| / bound (must be <= 1)
  double rel_error = 0;      // ||out - ref|| / ||ref||
  double rel_bound = 0;      // 4u
  long first_bad = -1;
};

// s_norm holds S (kFp32) or G (kChains) per element.
inline ErrorReport compare_to_reference(std::vector<uint16_t> const& out,
                                        std::vector<double> const& ref,
                                        std::vector<double> const& s_norm, Act act,
                                        Accumulation acc = Accumulation::kFp32) {
  double const u = unit_roundoff(act);
  ErrorReport r;
  r.elements = out.size();
  r.rel_bound = 4 * u;
  double err2 = 0, ref2 = 0, g2 = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    double o = bits_to_float(out[i], act);
    if (!std::isfinite(o)) {
      ++r.nan_or_unwritten;
      if (r.first_bad < 0) r.first_bad = static_cast<long>(i);
      continue;
    }
    double e = std::fabs(o - ref[i]);
    double bound = u * std::fabs(ref[i]) + 5 * u * s_norm[i];
    double ratio = bound > 0 ? e / bound : (e > 0 ? INFINITY : 0);
    if (ratio > r.max_violation) r.max_violation = ratio;
    if (ratio > 1) {
      ++r.over_bound;
      if (r.first_bad < 0) r.first_bad = static_cast<long>(i);
    }
    err2 += e * e;
    ref2 += ref[i] * ref[i];
    g2 += s_norm[i] * s_norm[i];
  }
  r.rel_error = ref2 > 0 ? std::sqrt(err2 / ref2) : (err2 > 0 ? INFINITY : 0);
  if (acc == Accumulation::kChains && ref2 > 0)
    r.rel_bound = (4 * u * std::sqrt(ref2) + 2 * u * std::sqrt(g2)) / std::sqrt(ref2);
  return r;
}

// SM90 workspace rule: the stream-K scheduler of the 128-row tiles may need partial tiles for
// up to (2*2*SMs + SMs) units of 128x256 fp32 accumulators, whatever M, N and K are.
inline size_t sm90_workspace_bytes(int sm_count) {
  return static_cast<size_t>(2 * 2 * sm_count + sm_count) * 128 * 256 * sizeof(float);
}

}  // namespace w4a16
