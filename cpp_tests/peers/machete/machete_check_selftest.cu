// Host self-test of machete_check.h (no GPU): outputs computed the way machete_check.h says
// Machete computes them (fp16 weights q*s, fp32 sums of 16-deep k-steps, fp16 result) must
// stay within the bound, and outputs of a wrong computation (a wrong scale group, a wrong
// weight row) must not. Prints one line "ok <worst ratio correct> <best ratio wrong>" or
// "FAIL ..." and exits 0 or 1. Built and run by py_tests/peers/test_machete.py.
#include <cstdio>
#include <random>

#include "machete_check.h"

using namespace w4a16;
using namespace w4a16::machete_peer;

namespace {

float fp16(float x) { return bits_to_float(float_to_bits(x, Act::kFp16), Act::kFp16); }

// mode 0: as Machete; 1: the scale of the next group; 2: weight row k+1 instead of k.
uint16_t simulate(BaseBlock const& b, int row, int col, int mode) {
  int const r = row % b.base_rows, c = col % b.base_cols;
  float acc = 0;
  for (int k0 = 0; k0 < b.k; k0 += 16) {
    float step = 0;
    for (int kk = k0; kk < k0 + 16; ++kk) {
      int const g = (kk / b.group + (mode == 1 ? 1 : 0)) % (b.k / b.group);
      int const wk = mode == 2 ? (kk + 1) % b.k : kk;
      float const s = bits_to_float(b.scales[static_cast<size_t>(g) * b.base_cols + c], Act::kFp16);
      float const w = fp16(b.q[static_cast<size_t>(wk) * b.base_cols + c] * s);
      step += bits_to_float(b.a[static_cast<size_t>(r) * b.k + kk], Act::kFp16) * w;
    }
    acc += step;
  }
  return float_to_bits(acc, Act::kFp16);
}

}  // namespace

int main() {
  double worst_ok = 0, best_wrong = 1e300;
  for (int k : {128, 4096, 28672}) {
    Problem p;
    p.m = 16; p.n = 64; p.k = k; p.group = 128;
    std::mt19937_64 rng(k);
    HostData h = make_random_data(p, rng);
    BaseBlock b{h.a, h.q, h.scales, p.m, p.n, p.k, p.group};
    auto samples = pick_samples(b, p.m, p.n, 1, 8, 48);
    for (int mode = 0; mode < 3; ++mode) {
      if (mode == 1 && k == p.group) continue;  // one group: nothing to confuse
      std::vector<uint16_t> got;
      for (auto const& s : samples) got.push_back(simulate(b, s.row, s.col, mode));
      CheckResult r = check(samples, got);
      if (mode == 0) {
        worst_ok = std::max(worst_ok, r.worst_ratio);
        if (r.over) {
          std::printf("FAIL K=%d: a correct computation exceeds the bound: %s\n", k, r.first_bad.c_str());
          return 1;
        }
      } else {
        best_wrong = std::min(best_wrong, r.worst_ratio);
        if (r.over * 2 < r.checked) {
          std::printf("FAIL K=%d mode %d: only %zu of %zu wrong outputs exceed the bound\n", k, mode, r.over,
                      r.checked);
          return 1;
        }
      }
    }
  }
  std::printf("ok %.4f %.2f\n", worst_ok, best_wrong);
  return 0;
}
