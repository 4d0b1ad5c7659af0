// w4a16SM90Bench: times every compiled tactic of TensorRT-LLM's SM90 W4A16 candidate list on a
// list of problems and writes one JSON line per (problem, tactic). `--help` says how to call it;
// `w4a16 bench` (scripts/w4a16/bench/) drives it for the Llama sweep.
//
// How a tactic is timed, and why:
// * Each sample is one replay of a CUDA graph holding L launches of run_gemm (the adapter's
//   host code: CUTLASS initialise, TMA descriptors, one kernel). The graph keeps that host work
//   off the clock, so a 5 us decode GEMM is not timed as 20 us of host code. L grows as the
//   kernel gets shorter (one launch for long kernels, up to --max-launches for short ones).
// * The L launches rotate over C full copies of the operands (weights, scales, activations,
//   output), C chosen so that the copies exceed --l2-factor times the L2 size: every launch
//   reads its weights from DRAM, as a model whose layers do not fit in L2 does.
// * A kernel spinning on a host flag holds the stream while all samples are queued, so no
//   sample contains host enqueue time. CUDA events bracket each replay; we report the median,
//   min and 90th percentile of the per-launch times.
// * Inputs are random (make_random_data from w4a16_host_ref.h). To keep set-up short, a random
//   block of 1024 weight columns and 256 activation rows is tiled over the full size: the
//   values do not change the traffic or the instructions a kernel executes.
// * Before timing, each tactic runs once into a poisoned output (0xFFFF, NaN) and the output is
//   checked on the device: every element must be finite.
// * After the tactics, one `stream` record per problem: the stream floor, the time our plain
//   bandwidth kernel takes to move the problem's bytes by the same method
//   (w4a16_stream_floor.h).
// The timing code is in w4a16_bench_timing.h, shared with the peer benches (cpp_tests/peers/).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "w4a16_bench_timing.h"
#include "w4a16_cuda_util.h"
#include "w4a16_gemm_adapter.h"
#include "w4a16_host_ref.h"
#include "w4a16_stream_floor.h"

#ifndef W4A16_HAS_REGISTRY
#error "w4a16SM90Bench is built by our builds only: it calls the SM90 dispatch for occupancies"
#endif

namespace w4a16::bench {
namespace {

constexpr char kUsage[] = R"(usage: w4a16SM90Bench --n N --k K --m M1,M2,... [options]
       w4a16SM90Bench --list

Times every compiled tactic of TensorRT-LLM's SM90 W4A16 candidate list for each M on the
weight shape [K, N] and writes one JSON line per (problem, tactic), after one line per problem
(occupancies, the default tactic, TensorRT-LLM's occupancy estimate) and one device line, and
then the problem's stream floor (the same bytes moved with no arithmetic, same method).
Needs an SM90 GPU, except for --list and --help.

problem:
  --n N                output columns (weight N), a multiple of 8
  --k K                reduction size (weight K), a multiple of the group size
  --m LIST             comma-separated token counts, e.g. 1,16,128
  --group G            quantization group size, a multiple of 64 (default 128)
  --dtype fp16|bf16    activation/output type (default fp16)
  --quant scale_only|scale_zeros   quantization op (default scale_only)
  --label TEXT         copied into every record (e.g. llama3-8b/qkv)

timing:
  --tactics all|NAME,...  time only these tactics (names as --list prints; default all)
)" W4A16_TIMING_USAGE R"(output:
  --out FILE           write the JSON lines here instead of stdout
  --list               print the candidate list and what this build compiled, then exit
  --help               this text
Progress goes to stderr. Exit status: 0 done, 2 bad arguments or no usable SM90 GPU,
3 a CUDA error that left the device unusable.
)";

struct Options : TimingOptions, ProblemOptions {
  Act act = Act::kFp16;
  Quant quant = Quant::kScaleOnly;
  std::string tactics = "all";
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg, value;
    if (!next_flag(argc, argv, i, o, arg, value) || parse_problem_option(arg, value, o)) continue;
    if (arg == "--dtype") {
      if (value != "fp16" && value != "bf16") throw std::invalid_argument("--dtype is fp16 or bf16");
      o.act = value == "fp16" ? Act::kFp16 : Act::kBf16;
    } else if (arg == "--quant") {
      if (value != "scale_only" && value != "scale_zeros")
        throw std::invalid_argument("--quant is scale_only or scale_zeros");
      o.quant = value == "scale_only" ? Quant::kScaleOnly : Quant::kScaleZeros;
    } else if (arg == "--tactics") o.tactics = value;
    else if (!parse_timing_option(arg, value, o))
      throw std::invalid_argument("unknown option " + arg + " (see --help)");
  }
  if (o.help || o.list) return o;
  check_problem_options(o);
  check_timing_options(o);
  for (int m : o.ms) {
    Problem p;
    p.m = m; p.n = o.n; p.k = o.k; p.group = o.group; p.act = o.act; p.quant = o.quant;
    validate_problem(p);
  }
  return o;
}

// ---- operands ---------------------------------------------------------------------------

// One full set of operands for one launch.
struct OperandSet {
  BufferPtr w, scales, zeros, a, out;
};

size_t set_bytes(Problem const& p) {
  size_t const groups = static_cast<size_t>(p.k / p.group) * p.n;
  size_t bytes = static_cast<size_t>(p.n) * p.k / 2 + groups * 2 + static_cast<size_t>(p.m) * p.k * 2 +
                 static_cast<size_t>(p.m) * p.n * 2;
  if (p.quant == Quant::kScaleZeros) bytes += groups * 2;
  return bytes;
}

// Random base blocks, made once per weight shape and tiled into every copy.
class Operands {
 public:
  Operands(Options const& o) : shape_(), max_m_(*std::max_element(o.ms.begin(), o.ms.end())) {
    shape_.n = o.n; shape_.k = o.k; shape_.group = o.group; shape_.act = o.act; shape_.quant = o.quant;
    Problem base = shape_;
    base.n = std::min(o.n, kBaseCols);
    base.m = std::min(max_m_, kBaseRows);
    std::mt19937_64 rng(o.seed);
    HostData h = make_random_data(base, rng);
    base_w_ = DeviceBuffer::from(preprocess_sm90(h.q.data(), base.k, base.n));
    base_scales_ = DeviceBuffer::from(h.scales);
    if (!h.zeros.empty()) base_zeros_ = DeviceBuffer::from(h.zeros);
    base_a_ = DeviceBuffer::from(h.a);
    base_cols_ = base.n;
    base_rows_ = base.m;
  }

  // Make `copies` operand sets for M (weight copies are kept between calls).
  std::vector<OperandSet*> sets(int m, int copies) {
    while (static_cast<int>(sets_.size()) < copies) {
      OperandSet s;
      if (sets_.empty()) {
        tile_weights(s);
      } else {
        s.w = clone(*sets_[0].w);
        s.scales = clone(*sets_[0].scales);
        if (sets_[0].zeros) s.zeros = clone(*sets_[0].zeros);
      }
      sets_.push_back(std::move(s));
    }
    return activation_sets(sets_, copies, m, shape_.k, shape_.n, *base_a_, base_rows_);
  }

 private:
  static constexpr int kBaseCols = 1024, kBaseRows = 256;

  // Weights are column-major in the SM90 layout, so a block of columns is contiguous; scales
  // and zeros are [K/group, N] and take a 2-D copy.
  void tile_weights(OperandSet& s) {
    size_t const col = static_cast<size_t>(shape_.k) / 2;
    int const groups = shape_.k / shape_.group;
    s.w = std::make_unique<DeviceBuffer>(col * shape_.n);
    s.scales = std::make_unique<DeviceBuffer>(static_cast<size_t>(groups) * shape_.n * 2);
    if (base_zeros_) s.zeros = std::make_unique<DeviceBuffer>(s.scales->bytes);
    for (int c0 = 0; c0 < shape_.n; c0 += base_cols_) {
      int const cols = std::min(base_cols_, shape_.n - c0);
      W4A16_CUDA(cudaMemcpy(s.w->c() + c0 * col, base_w_->ptr, cols * col, cudaMemcpyDeviceToDevice));
      W4A16_CUDA(cudaMemcpy2D(s.scales->c() + c0 * 2, shape_.n * 2, base_scales_->ptr,
                              base_cols_ * 2, cols * 2, groups, cudaMemcpyDeviceToDevice));
      if (base_zeros_)
        W4A16_CUDA(cudaMemcpy2D(s.zeros->c() + c0 * 2, shape_.n * 2, base_zeros_->ptr,
                                base_cols_ * 2, cols * 2, groups, cudaMemcpyDeviceToDevice));
    }
  }

  Problem shape_;
  int max_m_ = 0, base_cols_ = 0, base_rows_ = 0;
  BufferPtr base_w_, base_scales_, base_zeros_, base_a_;
  std::vector<OperandSet> sets_;
};

GemmArgs args_of(OperandSet const& s) {
  GemmArgs g;
  g.a = s.a->ptr;
  g.b = s.w->ptr;
  g.scales = s.scales->ptr;
  g.zeros = s.zeros ? s.zeros->ptr : nullptr;
  g.out = s.out->ptr;
  return g;
}

// ---- occupancy and TensorRT-LLM's estimate ----------------------------------------------

template <typename G>
struct GemmTypes;
template <typename T, cutlass::WeightOnlyQuantOp Q>
struct GemmTypes<detail::Gemm<T, Q>> {
  using Act = T;
  static constexpr cutlass::WeightOnlyQuantOp kQuant = Q;
};

// Blocks per SM of the tactic's kernel, as the launcher reports when given an occupancy
// pointer (it returns before touching any operand); -1 when not compiled.
int occupancy_of(Problem const& p, tkc::CutlassGemmConfig const& config) {
  if (!tactic_compiled(p.act, p.quant, config)) return -1;
  int occupancy = -1;
  detail::with_types(p.act, p.quant, [&](auto gemm) {
    using Types = GemmTypes<decltype(gemm)>;
    using T = typename Types::Act;
    tensorrt_llm::kernels::cutlass_kernels_oss::sm90_dispatch_gemm_to_cutlass<
        T, cutlass::uint4b_t, T, T, T, Types::kQuant, tkc::EpilogueOpBias>(
        nullptr, nullptr, nullptr, nullptr, nullptr, p.alpha, nullptr, p.m, p.n, p.k, p.group,
        nullptr, 0, config, nullptr, &occupancy);
  });
  return occupancy;
}

// TensorRT-LLM's occupancy-based pick, as a JSON object: {"status": "ok", "config": ...} or
// {"status": "unavailable", "reason": ...}.
// The tactic TensorRT-LLM runs without profiling: its weight-only plugins take the CUDA-core
// GEMV for M below their small-M fast path (5) where the GEMV exists, else the heuristic's
// first config.
inline constexpr int kSmallMFastPath = 5;
std::string default_tactic(Problem const& p, std::vector<tkc::CutlassGemmConfig> const& configs) {
  if (p.m < kSmallMFastPath)
    for (auto const& c : configs)
      if (is_gemv(c) && tactic_unavailable(p, c).empty()) return tactic_name(c);
  return tactic_name(configs[0]);
}

std::string trtllm_estimate(Problem const& p, std::vector<tkc::CutlassGemmConfig> const& configs,
                            std::vector<int> const& occupancies, size_t ws_bytes, int sms) {
  std::vector<int> occ(occupancies.size());
  for (size_t i = 0; i < occ.size(); ++i) occ[i] = std::max(occupancies[i], 0);
  try {
    auto best = tensorrt_llm::kernels::cutlass_kernels::estimate_best_config_from_occupancies(
        configs, occ, p.m, p.n, p.k, /*num_experts=*/1, /*split_k_limit=*/1, ws_bytes, sms,
        /*is_weight_only=*/1);
    for (auto const& c : configs)
      if (c.tile_config_sm90 == best.tile_config_sm90 && c.cluster_shape == best.cluster_shape &&
          best.is_tma_warp_specialized)
        return "{\"status\": \"ok\", \"tactic\": " + json_str(tactic_name(c)) + "}";
    std::string text = best.toString();
    std::replace(text.begin(), text.end(), '\n', ' ');
    return "{\"status\": \"not_sm90\", \"reason\": " +
           json_str("returned a config that is not an SM90 tactic: " + text) + "}";
  } catch (std::exception const& e) {
    return "{\"status\": \"unavailable\", \"reason\": " +
           json_str("estimate_best_config_from_occupancies threw: " + first_line(e.what())) + "}";
  }
}

// ---- the run ----------------------------------------------------------------------------

bool selected(Options const& o, std::string const& name) {
  if (o.tactics == "all") return true;
  std::stringstream ss(o.tactics);
  for (std::string item; std::getline(ss, item, ',');)
    if (item == name) return true;
  return false;
}

std::string problem_fields(Options const& o, Problem const& p) {
  std::ostringstream js;
  js << "\"label\": " << json_str(o.label) << ", \"m\": " << p.m << ", \"n\": " << p.n
     << ", \"k\": " << p.k << ", \"group\": " << p.group << ", \"dtype\": \"" << act_name(p.act)
     << "\", \"quant\": \"" << quant_name(p.quant) << "\"";
  return js.str();
}

TacticResult time_tactic(Options const& o, Problem const& p, tkc::CutlassGemmConfig const& config,
                         std::vector<OperandSet*> const& sets, DeviceBuffer& ws, Timer& timer,
                         unsigned long long* counter, cudaStream_t stream) {
  auto launch = [&](int i, cudaStream_t s) {
    run_gemm(p, args_of(*sets[i % sets.size()]), config, ws.c(), ws.bytes, s);
  };
  TacticResult r;
  // 1. one launch into a poisoned output; every element must come back finite.
  size_t const outs = static_cast<size_t>(p.m) * p.n;
  uint16_t const mask = p.act == Act::kFp16 ? 0x7C00 : 0x7F80;
  r.nonfinite = poisoned_run(launch, *sets[0]->out, outs, mask, counter, stream);
  if (r.nonfinite) {
    r.status = "nonfinite";
    r.message = std::to_string(r.nonfinite) + " of " + std::to_string(outs) +
                " outputs are NaN/Inf or unwritten";
    return r;
  }
  // 2. the samples.
  sample_launches(o, launch, static_cast<int>(sets.size()), timer, stream, r);
  return r;
}

// The problem's stream floor as a `stream` record: the set's operands read and its output
// written by stream_operands (w4a16_stream_floor.h), checked to read every byte once, then
// timed like a tactic.
std::string stream_record(Options const& o, Problem const& p, std::vector<OperandSet*> const& sets,
                          Timer& timer, unsigned long long* counter, cudaStream_t stream) {
  std::vector<StreamSpans> spans(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) {
    OperandSet const& set = *sets[i];
    for (DeviceBuffer const* b : {set.w.get(), set.scales.get(), set.zeros.get(), set.a.get()})
      if (b) spans[i].add(b->ptr, b->bytes);
    spans[i].out = static_cast<uint4*>(set.out->ptr);
    spans[i].out_units = set.out->bytes / sizeof(uint4);
  }
  DeviceBuffer block_sums(static_cast<size_t>(spans[0].blocks()) * sizeof(unsigned long long));
  for (auto& s : spans) s.block_sums = static_cast<unsigned long long*>(block_sums.ptr);
  auto launch = [&](int i, cudaStream_t s) { launch_stream(spans[i % spans.size()], s); };

  TacticResult r;
  std::string reason;
  size_t const outs = static_cast<size_t>(p.m) * p.n;
  uint16_t const mask = p.act == Act::kFp16 ? 0x7C00 : 0x7F80;
  if (poisoned_run(launch, *sets[0]->out, outs, mask, counter, stream)) {
    r.status = "unwritten";
    reason = "the stream kernel left output elements poisoned";
  } else if (!stream_sum_matches(spans[0], stream)) {
    r.status = "wrong_sum";
    reason = "the stream kernel's block sums differ from the operands' word sum";
  } else {
    sample_launches(o, launch, static_cast<int>(sets.size()), timer, stream, r);
  }
  std::ostringstream js;
  js << "{\"record\": \"stream\", " << problem_fields(o, p) << ", \"status\": \"" << r.status
     << "\"";
  if (!reason.empty()) js << ", \"reason\": " << json_str(reason);
  if (r.status == "ok") write_timing_fields(js, r, static_cast<int>(sets.size()));
  js << ", \"bytes\": " << set_bytes(p) << ", \"blocks\": " << spans[0].blocks() << "}";
  return js.str();
}

int run(Options const& o) {
  if (!sm90_usable("w4a16SM90Bench")) return 2;
  RecordSink sink(o.out);
  auto emit = [&](std::string const& line) { sink.emit(line); };
  DeviceInfo const device = query_device();
  size_t const l2 = device.l2_bytes();
  emit(device_record(device, ", \"adapter\": " + json_str(kAdapterName) +
                                 ", \"build_filter\": " + json_str(build_filter())));

  auto const configs = candidate_configs();
  cudaStream_t stream;
  W4A16_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  Operands operands(o);
  Timer timer;
  Problem shape;
  shape.n = o.n; shape.k = o.k; shape.group = o.group; shape.act = o.act; shape.quant = o.quant;
  shape.m = 1;
  size_t const ws_bytes = workspace_bytes(shape);
  DeviceBuffer ws(ws_bytes), counter(sizeof(unsigned long long));

  for (size_t mi = 0; mi < o.ms.size(); ++mi) {
    Problem p = shape;
    p.m = o.ms[mi];
    size_t const bytes = set_bytes(p);
    int const copies = copies_for(o.l2_factor, l2, bytes);
    auto sets = operands.sets(p.m, copies);

    std::vector<int> occupancies;
    std::ostringstream occ_js;
    for (size_t i = 0; i < configs.size(); ++i) {
      int occ = -1;
      try {
        occ = occupancy_of(p, configs[i]);
      } catch (std::exception const&) {
        occ = -1;
      }
      occupancies.push_back(occ);
      occ_js << (i ? ", " : "") << json_str(tactic_name(configs[i])) << ": " << occ;
    }
    {
      std::ostringstream js;
      js << "{\"record\": \"problem\", " << problem_fields(o, p) << ", \"copies\": " << copies
         << ", \"set_bytes\": " << bytes << ", \"working_set_bytes\": " << bytes * copies
         << ", \"default_tactic\": " << json_str(default_tactic(p, configs))
         << ", \"occupancies\": {" << occ_js.str() << "}, \"trtllm_estimate\": "
         << trtllm_estimate(p, configs, occupancies, ws_bytes, device.prop.multiProcessorCount) << "}";
      emit(js.str());
    }

    std::string best_name = "-";
    double best_us = 0;
    for (size_t i = 0; i < configs.size(); ++i) {
      std::string const name = tactic_name(configs[i]);
      if (!selected(o, name)) continue;
      TacticResult r;
      std::string const why = tactic_unavailable(p, configs[i]);
      if (!why.empty()) {
        // A GEMV that exists but has no kernel for this M is skipped, not missing.
        Problem one = p;
        one.m = 1;
        bool const built = is_gemv(configs[i]) && gemv_unavailable(one).empty();
        r.status = built ? "skipped" : "not_compiled";
        r.message = why;
      } else {
        try {
          r = time_tactic(o, p, configs[i], sets, ws, timer, static_cast<unsigned long long*>(counter.ptr),
                          stream);
        } catch (std::exception const& e) {
          r = TacticResult();
          r.status = "error";
          r.message = first_line(e.what());
          stop_if_device_unusable(name, r.message, stream);
        }
      }
      std::ostringstream js;
      js << "{\"record\": \"tactic\", " << problem_fields(o, p) << ", \"config_index\": " << i
         << ", \"tactic\": " << json_str(name) << ", \"status\": \"" << r.status
         << "\", \"message\": " << json_str(r.message) << ", \"occupancy\": " << occupancies[i];
      if (r.status == "ok") {
        write_timing_fields(js, r, copies);
        if (best_us == 0 || r.us.median < best_us) {
          best_us = r.us.median;
          best_name = name;
        }
      }
      js << "}";
      emit(js.str());
    }
    try {
      emit(stream_record(o, p, sets, timer, static_cast<unsigned long long*>(counter.ptr), stream));
    } catch (std::exception const& e) {
      std::string const message = first_line(e.what());
      emit("{\"record\": \"stream\", " + problem_fields(o, p) +
           ", \"status\": \"error\", \"reason\": " + json_str(message) + "}");
      stop_if_device_unusable("stream floor", message, stream);
    }
    std::fprintf(stderr, "[w4a16SM90Bench] %s %s M=%d N=%d K=%d (%zu/%zu): best %s %.2f us\n",
                 o.label.c_str(), act_name(p.act), p.m, p.n, p.k, mi + 1, o.ms.size(),
                 best_name.c_str(), best_us);
  }
  cudaStreamDestroy(stream);
  return 0;
}

int list_mode() {
  std::ostringstream js;
  auto const configs = candidate_configs();
  for (size_t i = 0; i < configs.size(); ++i) {
    js << "{\"record\": \"candidate\", \"config_index\": " << i << ", \"tactic\": "
       << json_str(tactic_name(configs[i])) << ", \"compiled\": {";
    bool first = true;
    for (Act act : {Act::kFp16, Act::kBf16})
      for (Quant quant : {Quant::kScaleOnly, Quant::kScaleZeros}) {
        // The GEMV counts as compiled where it runs M = 1 with some group size.
        bool compiled = tactic_compiled(act, quant, configs[i]);
        for (int group : {64, 128}) {
          Problem one;
          one.m = 1; one.n = 4096; one.k = 4096; one.group = group; one.act = act; one.quant = quant;
          compiled = compiled || (is_gemv(configs[i]) && gemv_unavailable(one).empty());
        }
        js << (first ? "" : ", ") << "\"" << act_name(act) << "/" << quant_name(quant)
           << "\": " << (compiled ? "true" : "false");
        first = false;
      }
    js << "}}\n";
  }
  std::cout << js.str();
  return 0;
}

}  // namespace
}  // namespace w4a16::bench

int main(int argc, char** argv) {
  setenv("TLLM_LOG_LEVEL", "WARNING", /*overwrite=*/0);  // keep TensorRT-LLM's debug log quiet
  using namespace w4a16::bench;
  return bench_main<Options>(argc, argv, kUsage, parse_args, list_mode, run);
}
