// w4a16MacheteBench: times vLLM's Machete W4A16 GEMM (fp16 activations, GPTQ-style u4b8
// weights with fp16 group scales, no zeros) by w4a16SM90Bench's method, so its times compare
// with TensorRT-LLM's tactics: the same timing code (w4a16_bench_timing.h: L2-cold CUDA-graph
// replays rotating over operand copies, samples queued behind a host-flag spin kernel, CUDA
// events, median/min/p90 per launch), the same random inputs (make_random_data, tiled from a
// 1024-column, 256-row block) and the same JSON records. `--help` says how to call it;
// scripts/w4a16/peers/machete.py builds and runs it.
//
// Each compiled Machete schedule is a tactic (machete_<schedule>), and so is the schedule
// Machete's H100 heuristic picks for the problem (machete_heuristic; the problem record names
// it). The weights are prepacked by Machete's own prepack kernel. Before timing, each tactic
// runs once into a poisoned output: every element must be finite, and a sample of outputs
// (up to 8 rows x 48 columns) must match a double-precision host reference within the bound
// derived in machete_check.h; a tactic that fails either is recorded and not timed.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "machete_check.h"
#include "machete_peer.h"
#include "w4a16_bench_timing.h"
#include "w4a16_cuda_util.h"
#include "w4a16_host_ref.h"

namespace w4a16::bench {
namespace {

namespace mp = w4a16::machete_peer;

#ifndef W4A16_MACHETE_TREE
#define W4A16_MACHETE_TREE ""  // the Machete tree this binary was built from (set by CMake)
#endif

constexpr char kBinary[] = "w4a16MacheteBench";
constexpr char kHeuristic[] = "machete_heuristic";

constexpr char kUsage[] = R"(usage: w4a16MacheteBench --n N --k K --m M1,M2,... [options]
       w4a16MacheteBench --list

Times vLLM's Machete W4A16 GEMM (fp16 activations, GPTQ-style u4b8 int4 weights with fp16
group scales, no zeros) by w4a16SM90Bench's method, for each M on the weight shape [K, N]:
every compiled Machete schedule (tactic machete_<schedule>) and the schedule Machete's H100
heuristic picks (tactic machete_heuristic). Writes one JSON line per (problem, tactic), after
one line per problem (the heuristic's pick) and one device line. Each tactic's output is
checked (finite, and a sample against a host reference) before it is timed.
Needs an SM90 GPU, except for --list and --help.

problem:
  --n N                output columns (weight N), a multiple of Machete's prepack block N
  --k K                reduction size (weight K), a multiple of the group size and of the
                       prepack block K (--list prints both)
  --m LIST             comma-separated token counts, e.g. 1,16,128
  --group G            quantization group size, a multiple of 64 (default 128)
  --dtype fp16         activation/output type (fp16 only: the build's one type)
  --quant scale_only   quantization op (scale_only only: u4b8 weights, no zeros)
  --label TEXT         copied into every record (e.g. llama3-8b/qkv)

timing:
  --schedules all|NAME,...  time only these: schedule names or tactic names as --list prints,
                       heuristic for machete_heuristic (default all)
)" W4A16_TIMING_USAGE R"(output:
  --out FILE           write the JSON lines here instead of stdout
  --list               print the tree's schedules, which were compiled, the prepack block, then exit
  --help               this text
Progress goes to stderr. Exit status: 0 done, 2 bad arguments or no usable SM90 GPU,
3 a CUDA error that left the device unusable.
)";

struct Options : TimingOptions, ProblemOptions {
  std::string schedules = "all";
};

Problem problem_of(Options const& o, int m) {
  Problem p;
  p.m = m; p.n = o.n; p.k = o.k; p.group = o.group; p.act = Act::kFp16; p.quant = Quant::kScaleOnly;
  return p;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg, value;
    if (!next_flag(argc, argv, i, o, arg, value) || parse_problem_option(arg, value, o)) continue;
    if (arg == "--dtype") {
      if (value != "fp16") throw std::invalid_argument("--dtype: this Machete build has fp16 only");
    } else if (arg == "--quant") {
      if (value != "scale_only")
        throw std::invalid_argument("--quant: this Machete build has scale_only (u4b8, no zeros) only");
    } else if (arg == "--schedules" || arg == "--tactics") o.schedules = value;
    else if (!parse_timing_option(arg, value, o))
      throw std::invalid_argument("unknown option " + arg + " (see --help)");
  }
  if (o.help || o.list) return o;
  check_problem_options(o);
  check_timing_options(o);
  for (int m : o.ms) validate_problem(problem_of(o, m));
  int const bn = mp::prepack_block_n(), bk = mp::prepack_block_k();
  if (o.n % bn != 0)
    throw std::invalid_argument("N=" + std::to_string(o.n) + " must be a multiple of " + std::to_string(bn) +
                                " (Machete's prepack block)");
  if (o.k % bk != 0)
    throw std::invalid_argument("K=" + std::to_string(o.k) + " must be a multiple of " + std::to_string(bk) +
                                " (Machete's prepack block)");
  // Every name must be a schedule of the tree or the heuristic.
  if (o.schedules != "all") {
    auto const tree = mp::tree_schedules();
    std::stringstream ss(o.schedules);
    for (std::string item; std::getline(ss, item, ',');) {
      bool known = item == "heuristic" || item == kHeuristic;
      for (auto const& s : tree) known = known || item == s || item == "machete_" + s;
      if (!known) throw std::invalid_argument("--schedules: unknown schedule '" + item + "' (see --list)");
    }
  }
  return o;
}

bool selected(Options const& o, std::string const& schedule, bool heuristic) {
  if (o.schedules == "all") return true;
  std::stringstream ss(o.schedules);
  for (std::string item; std::getline(ss, item, ',');) {
    if (heuristic ? (item == "heuristic" || item == kHeuristic)
                  : (item == schedule || item == "machete_" + schedule))
      return true;
  }
  return false;
}

std::string problem_fields(Options const& o, Problem const& p) {
  std::ostringstream js;
  js << "\"label\": " << json_str(o.label) << ", \"m\": " << p.m << ", \"n\": " << p.n
     << ", \"k\": " << p.k << ", \"group\": " << p.group << ", \"dtype\": \"" << act_name(p.act)
     << "\", \"quant\": \"" << quant_name(p.quant) << "\", \"weight_type\": \"u4b8\"";
  return js.str();
}

// ---- operands ---------------------------------------------------------------------------

// One full set of operands for one launch: prepacked weights, scales, activations, output.
struct OperandSet {
  BufferPtr w, scales, a, out;
};

size_t set_bytes(Problem const& p) {
  size_t const groups = static_cast<size_t>(p.k / p.group) * p.n;
  return static_cast<size_t>(p.n) * p.k / 2 + groups * 2 + static_cast<size_t>(p.m) * p.k * 2 +
         static_cast<size_t>(p.m) * p.n * 2;
}

// Random base blocks as w4a16SM90Bench makes them, tiled into every copy; the host copy is
// kept for the reference check.
class Operands {
 public:
  Operands(Options const& o, cudaStream_t stream) : n_(o.n), k_(o.k), group_(o.group), stream_(stream) {
    Problem base = problem_of(o, std::min(*std::max_element(o.ms.begin(), o.ms.end()), kBaseRows));
    base.n = std::min(o.n, kBaseCols);
    std::mt19937_64 rng(o.seed);
    HostData h = make_random_data(base, rng);
    host_.a = h.a;
    host_.q = h.q;
    host_.scales = h.scales;
    host_.base_rows = base.m;
    host_.base_cols = base.n;
    host_.k = o.k;
    host_.group = o.group;
    // Machete's input layout: column c holds its K values contiguously, q + 8 per nibble, the
    // lower k in the low nibble.
    std::vector<uint8_t> raw(static_cast<size_t>(base.n) * o.k / 2, 0);
    for (int c = 0; c < base.n; ++c)
      for (int kk = 0; kk < o.k; ++kk) {
        size_t const e = static_cast<size_t>(c) * o.k + kk;
        int const v = h.q[static_cast<size_t>(kk) * base.n + c] + 8;
        raw[e / 2] |= static_cast<uint8_t>(v << (e % 2 ? 4 : 0));
      }
    base_raw_ = DeviceBuffer::from(raw);
    base_scales_ = DeviceBuffer::from(h.scales);
    base_a_ = DeviceBuffer::from(h.a);
  }

  mp::BaseBlock const& host() const { return host_; }

  // Make `copies` operand sets for M (weight copies are kept between calls).
  std::vector<OperandSet*> sets(int m, int copies) {
    while (static_cast<int>(sets_.size()) < copies) {
      OperandSet s;
      if (sets_.empty()) {
        tile_weights(s);
      } else {
        s.w = clone(*sets_[0].w);
        s.scales = clone(*sets_[0].scales);
      }
      sets_.push_back(std::move(s));
    }
    return activation_sets(sets_, copies, m, k_, n_, *base_a_, host_.base_rows);
  }

 private:
  static constexpr int kBaseCols = 1024, kBaseRows = 256;

  // The raw weights are [N, K/2] bytes, so a block of columns is contiguous: tile them, then
  // prepack the full matrix with Machete's kernel. Scales are [K/group, N]: a 2-D copy.
  void tile_weights(OperandSet& s) {
    size_t const col = static_cast<size_t>(k_) / 2;
    int const groups = k_ / group_;
    int const base_cols = host_.base_cols;
    DeviceBuffer raw(col * n_);
    s.w = std::make_unique<DeviceBuffer>(col * n_);
    s.scales = std::make_unique<DeviceBuffer>(static_cast<size_t>(groups) * n_ * 2);
    for (int c0 = 0; c0 < n_; c0 += base_cols) {
      int const cols = std::min(base_cols, n_ - c0);
      W4A16_CUDA(cudaMemcpy(raw.c() + c0 * col, base_raw_->ptr, cols * col, cudaMemcpyDeviceToDevice));
      W4A16_CUDA(cudaMemcpy2D(s.scales->c() + c0 * 2, n_ * 2, base_scales_->ptr, base_cols * 2, cols * 2,
                              groups, cudaMemcpyDeviceToDevice));
    }
    // The copies above ran on the legacy default stream, which does not order work on our
    // non-blocking stream: wait for them.
    W4A16_CUDA(cudaDeviceSynchronize());
    mp::prepack(raw.ptr, s.w->ptr, k_, n_, stream_);
    W4A16_CUDA(cudaGetLastError());
    W4A16_CUDA(cudaStreamSynchronize(stream_));
  }

  int n_, k_, group_;
  cudaStream_t stream_;
  mp::BaseBlock host_;
  BufferPtr base_raw_, base_scales_, base_a_;
  std::vector<OperandSet> sets_;
};

mp::GemmCall call_of(OperandSet const& s, Problem const& p) {
  mp::GemmCall c;
  c.a = s.a->ptr;
  c.b_prepacked = s.w->ptr;
  c.scales = s.scales->ptr;
  c.out = s.out->ptr;
  c.m = p.m; c.n = p.n; c.k = p.k; c.group = p.group;
  return c;
}

// ---- the run ----------------------------------------------------------------------------

struct MacheteResult : TacticResult {
  mp::CheckResult check;
};

MacheteResult time_schedule(Options const& o, Problem const& p, mp::ScheduleEntry const& e,
                            std::vector<OperandSet*> const& sets, std::vector<mp::Sample> const& samples,
                            BufferPtr& ws, Timer& timer, unsigned long long* counter, cudaStream_t stream) {
  MacheteResult r;
  size_t const need = e.workspace(call_of(*sets[0], p));  // invalid_argument: cannot run it
  if (!ws || ws->bytes < need) {
    ws.reset();
    ws = std::make_unique<DeviceBuffer>(need);
  }
  DeviceBuffer& w = *ws;
  auto launch = [&](int i, cudaStream_t s) {
    e.run(call_of(*sets[i % sets.size()], p), w.ptr, w.bytes, s);
  };
  // 1. one launch into a poisoned output; every element must come back finite ...
  size_t const outs = static_cast<size_t>(p.m) * p.n;
  r.nonfinite = poisoned_run(launch, *sets[0]->out, outs, 0x7C00, counter, stream);
  if (r.nonfinite) {
    r.status = "nonfinite";
    r.message = std::to_string(r.nonfinite) + " of " + std::to_string(outs) +
                " outputs are NaN/Inf or unwritten";
    return r;
  }
  // 2. ... and the sampled outputs must match the host reference.
  std::vector<uint16_t> got(samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    W4A16_CUDA(cudaMemcpy(&got[i], sets[0]->out->c() + (static_cast<size_t>(samples[i].row) * p.n + samples[i].col) * 2,
                          2, cudaMemcpyDeviceToHost));
  r.check = mp::check(samples, got);
  if (r.check.over) {
    r.status = "wrong";
    r.message = std::to_string(r.check.over) + " of " + std::to_string(r.check.checked) +
                " sampled outputs exceed the error bound; first " + r.check.first_bad;
    return r;
  }
  // 3. the samples.
  sample_launches(o, launch, static_cast<int>(sets.size()), timer, stream, r);
  return r;
}

int run(Options const& o) {
  if (!sm90_usable(kBinary)) return 2;
  RecordSink sink(o.out);
  auto emit = [&](std::string const& line) { sink.emit(line); };

  auto const& compiled = mp::compiled_schedules();
  auto const tree = mp::tree_schedules();
  DeviceInfo const device = query_device();
  size_t const l2 = device.l2_bytes();
  {
    std::string names;
    for (auto const& e : compiled) names += (names.empty() ? "" : ",") + std::string(e.name);
    emit(device_record(device, ", \"adapter\": \"machete\", \"build_filter\": " +
                                   json_str("schedules=" + names) +
                                   ", \"machete_tree\": " + json_str(W4A16_MACHETE_TREE)));
  }

  cudaStream_t stream;
  W4A16_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  Operands operands(o, stream);
  Timer timer;
  BufferPtr ws;
  DeviceBuffer counter(sizeof(unsigned long long));

  for (size_t mi = 0; mi < o.ms.size(); ++mi) {
    Problem const p = problem_of(o, o.ms[mi]);
    size_t const bytes = set_bytes(p);
    int const copies = copies_for(o.l2_factor, l2, bytes);
    auto sets = operands.sets(p.m, copies);
    std::string const pick = mp::heuristic_schedule(p.m, p.n, p.k);
    {
      std::ostringstream js;
      js << "{\"record\": \"problem\", " << problem_fields(o, p) << ", \"copies\": " << copies
         << ", \"set_bytes\": " << bytes << ", \"working_set_bytes\": " << bytes * copies
         << ", \"default_tactic\": " << json_str(kHeuristic) << ", \"heuristic_schedule\": " << json_str(pick)
         << "}";
      emit(js.str());
    }
    auto const samples = mp::pick_samples(operands.host(), p.m, p.n, o.seed + static_cast<unsigned>(p.m));

    std::string best_name = "-";
    double best_us = 0, heuristic_us = 0;
    // Every schedule of the tree, then the heuristic's pick as a tactic of its own;
    // config_index is the schedule's place in the tree's list (as --list prints it).
    for (size_t t = 0; t <= tree.size(); ++t) {
      bool const heuristic = t == tree.size();
      std::string const schedule = heuristic ? pick : tree[t];
      std::string const name = heuristic ? std::string(kHeuristic) : "machete_" + schedule;
      if (!selected(o, schedule, heuristic)) continue;
      int index = -1, entry = -1;
      for (size_t i = 0; i < tree.size(); ++i)
        if (tree[i] == schedule) index = static_cast<int>(i);
      for (size_t i = 0; i < compiled.size(); ++i)
        if (schedule == compiled[i].name) entry = static_cast<int>(i);
      MacheteResult r;
      if (entry < 0) {
        r.status = "not_compiled";
        r.message = heuristic ? "the heuristic picks " + pick + ", which this build did not compile"
                              : std::string("this build did not compile this schedule");
      } else {
        try {
          r = time_schedule(o, p, compiled[entry], sets, samples, ws, timer,
                            static_cast<unsigned long long*>(counter.ptr), stream);
        } catch (std::invalid_argument const& e) {
          r = MacheteResult();
          r.status = "skipped";
          r.message = first_line(e.what());
        } catch (std::exception const& e) {
          r = MacheteResult();
          r.status = "error";
          r.message = first_line(e.what());
          stop_if_device_unusable(name, r.message, stream);
        }
      }
      std::ostringstream js;
      js << "{\"record\": \"tactic\", " << problem_fields(o, p) << ", \"config_index\": " << index
         << ", \"tactic\": " << json_str(name) << ", \"schedule\": " << json_str(schedule)
         << ", \"status\": \"" << r.status << "\", \"message\": " << json_str(r.message)
         << ", \"checked\": " << r.check.checked << ", \"max_error_ratio\": " << std::min(r.check.worst_ratio, 1e300);
      if (r.status == "ok") {
        write_timing_fields(js, r, copies);
        if (heuristic) {
          heuristic_us = r.us.median;
        } else if (best_us == 0 || r.us.median < best_us) {
          best_us = r.us.median;
          best_name = name;
        }
      }
      js << "}";
      emit(js.str());
    }
    std::fprintf(stderr, "[%s] %s fp16 M=%d N=%d K=%d (%zu/%zu): best %s %.2f us, heuristic %s %.2f us\n",
                 kBinary, o.label.c_str(), p.m, p.n, p.k, mi + 1, o.ms.size(), best_name.c_str(), best_us,
                 pick.c_str(), heuristic_us);
  }
  cudaStreamDestroy(stream);
  return 0;
}

int list_mode() {
  auto const& compiled = mp::compiled_schedules();
  auto const tree = mp::tree_schedules();
  std::ostringstream js;
  for (size_t i = 0; i < tree.size(); ++i) {
    bool built = false;
    for (auto const& e : compiled) built = built || tree[i] == e.name;
    js << "{\"record\": \"candidate\", \"config_index\": " << i << ", \"tactic\": "
       << json_str("machete_" + tree[i]) << ", \"schedule\": " << json_str(tree[i])
       << ", \"compiled\": {\"fp16/scale_only\": " << (built ? "true" : "false") << "}}\n";
  }
  js << "{\"record\": \"candidate\", \"config_index\": -1, \"tactic\": " << json_str(kHeuristic)
     << ", \"schedule\": \"heuristic\", \"compiled\": {\"fp16/scale_only\": "
     << (compiled.empty() ? "false" : "true") << "}}\n";
  js << "{\"record\": \"prepack\", \"block_n\": " << mp::prepack_block_n()
     << ", \"block_k\": " << mp::prepack_block_k() << "}\n";
  std::cout << js.str();
  return 0;
}

}  // namespace
}  // namespace w4a16::bench

int main(int argc, char** argv) {
  using namespace w4a16::bench;
  return bench_main<Options>(argc, argv, kUsage, parse_args, list_mode, run);
}
