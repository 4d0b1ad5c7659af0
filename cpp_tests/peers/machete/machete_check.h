// Host reference for a sample of Machete's outputs, and the bound each must meet. Host-only:
// no GPU, no CUTLASS.
//
// What Machete computes for output (m, n), with u = 2^-11 the unit roundoff of fp16:
// * each weight q in [-8, 7] (stored as u4b8, q + 8) becomes fp16 exactly and is multiplied
//   by its group scale s in fp16: w = fl16(q*s). We allow two fp16 roundings on this path
//   (the conversion may go through a biased intermediate), so |w - q*s| <= 2u*|q*s| (+ 2*eta
//   in the subnormal range, eta = 2^-25, half the fp16 subnormal spacing);
// * the products a*w are exact in fp32 (11-bit by 11-bit significands) and are summed in fp32
//   by the tensor cores: one accumulator update per 16-deep k-step of the wgmma, plus a few
//   partial sums added by the stream-K reduction. We allow K/8 fp32 additions, each off by at
//   most 2^-23 (truncation allowed, twice round-to-nearest) of a partial sum, and every
//   partial sum is at most T(1 + 2u), T = sum_k |a_k q_k s_k|: at most K*2^-26*T(1 + 2u);
// * the fp32 result is rounded once to fp16: u times its magnitude, plus eta.
// With ref = sum_k a_k q_k s_k computed in double (exact enough: 53-bit),
//     |out - ref| <= u*|ref| + (1 + u)*[(2u + K*2^-26*(1 + 2u))*T + 2*eta*sum_k |a_k|] + eta.
// It is a worst case, not a statistical bound: a correct kernel never exceeds it, whatever the
// data. For the bench's random data (|a| <= 1, |q| <= 8, s in [0.5, 1.5]/64) T is about K/32
// and |ref| about sqrt(K)/23, so the bound is about K/2^15 + K^2/2^31: a wrong layout, scale
// or group index gives errors of order |ref|, 20x the bound at K = 4096 and 6x at K = 28672.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "w4a16_host_ref.h"

namespace w4a16::machete_peer {

// The bound above for one output: ref and T = sum |a q s|, A = sum |a|, over k = 0..K-1.
inline double output_bound(double ref, double t_abs, double a_abs, int k) {
  double const u = std::ldexp(1.0, -11), eta = std::ldexp(1.0, -25);
  double const acc = k * std::ldexp(1.0, -26) * (1 + 2 * u);
  return u * std::fabs(ref) + (1 + u) * ((2 * u + acc) * t_abs + 2 * eta * a_abs) + eta;
}

// One checked output and its reference.
struct Sample {
  int row = 0, col = 0;
  double ref = 0, bound = 0;
};

// The inputs of a problem are tiled from a base block: output row r uses activation row
// r % base_rows of `a` ([base_rows, K]); column c uses weight column c % base_cols of `q`
// ([K, base_cols], values in [-8, 7]) and of `scales` ([K/group, base_cols]).
struct BaseBlock {
  std::vector<uint16_t> a;       // fp16 bits
  std::vector<int8_t> q;
  std::vector<uint16_t> scales;  // fp16 bits
  int base_rows = 0, base_cols = 0, k = 0, group = 0;
};

inline Sample reference(BaseBlock const& b, int row, int col) {
  Sample s;
  s.row = row;
  s.col = col;
  int const r = row % b.base_rows, c = col % b.base_cols;
  double ref = 0, t_abs = 0, a_abs = 0;
  for (int kk = 0; kk < b.k; ++kk) {
    double const a = bits_to_float(b.a[static_cast<size_t>(r) * b.k + kk], Act::kFp16);
    double const q = b.q[static_cast<size_t>(kk) * b.base_cols + c];
    double const sc = bits_to_float(b.scales[static_cast<size_t>(kk / b.group) * b.base_cols + c], Act::kFp16);
    ref += a * q * sc;
    t_abs += std::fabs(a * q * sc);
    a_abs += std::fabs(a);
  }
  s.ref = ref;
  s.bound = output_bound(ref, t_abs, a_abs, b.k);
  return s;
}

// Which outputs to check for an M x N problem: up to `rows` rows (the first, the last and
// random ones) times up to `cols` columns (the first, the last and random ones).
inline std::vector<Sample> pick_samples(BaseBlock const& b, int m, int n, unsigned long long seed,
                                        int rows = 8, int cols = 48) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int extent, int count) {
    std::vector<int> out = {0, extent - 1};
    std::uniform_int_distribution<int> any(0, extent - 1);
    for (int i = 0; i < 4 * count && static_cast<int>(out.size()) < std::min(count, extent); ++i)
      out.push_back(any(rng));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  };
  std::vector<Sample> samples;
  for (int r : pick(m, rows))
    for (int c : pick(n, cols)) samples.push_back(reference(b, r, c));
  return samples;
}

struct CheckResult {
  size_t checked = 0, over = 0;
  double worst_ratio = 0;  // max |out - ref| / bound (<= 1 when correct)
  std::string first_bad;   // "(row, col): out X, ref Y, bound Z"
};

// got[i]: the fp16 bits the kernel wrote for samples[i].
inline CheckResult check(std::vector<Sample> const& samples, std::vector<uint16_t> const& got) {
  CheckResult r;
  r.checked = samples.size();
  for (size_t i = 0; i < samples.size(); ++i) {
    double const out = bits_to_float(got[i], Act::kFp16);
    double const err = std::fabs(out - samples[i].ref);
    double const ratio = std::isfinite(out) ? err / samples[i].bound : INFINITY;
    r.worst_ratio = std::max(r.worst_ratio, ratio);
    if (!(ratio <= 1)) {
      if (r.over++ == 0)
        r.first_bad = "(" + std::to_string(samples[i].row) + ", " + std::to_string(samples[i].col) +
                      "): out " + std::to_string(out) + ", ref " + std::to_string(samples[i].ref) +
                      ", bound " + std::to_string(samples[i].bound);
    }
  }
  return r;
}

}  // namespace w4a16::machete_peer
