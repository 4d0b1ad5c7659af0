// The timing method of w4a16SM90Bench, shared with the peer benches (cpp_tests/peers/) so
// that every GEMM is timed by the same code:
// * a sample is one replay of a CUDA graph holding L launches, which keeps the host code of a
//   launch (argument set-up, TMA descriptors) off the clock; L grows as the kernel gets
//   shorter, up to --max-launches, and is a whole number of rounds over the operand copies;
// * the launches rotate over C full copies of the operands, C chosen so that the copies exceed
//   --l2-factor times the L2 size (copies_for): every launch reads its weights from DRAM;
// * a kernel spinning on a host flag holds the stream while all samples are queued, so no
//   sample contains host enqueue time; CUDA events bracket each replay, and the median, min,
//   90th percentile and mean per launch are reported;
// * before timing, one launch writes into a poisoned output (0xFFFF, a NaN) and every element
//   must come back finite (poisoned_run).
// Everything is in an unnamed namespace: include this header from one translation unit of a
// binary (the bench's own).
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "w4a16_cuda_util.h"
#include "w4a16_flag_values.h"
#include "w4a16_host_ref.h"

namespace w4a16::bench {
namespace {

// ---- options ----------------------------------------------------------------------------

// The sampling options every bench takes (flag names in parse_timing_option).
struct TimingOptions {
  double budget_ms = 15, sample_us = 500, l2_factor = 2, settle_ms = 0;
  int min_samples = 5, max_samples = 100, max_launches = 32, warmup = 2;
  unsigned long long seed = 1234;
};

// The usage lines of TimingOptions and a blank line, as the benches print them (a macro, so
// it joins the usage text's string literals).
#define W4A16_TIMING_USAGE \
    "  --budget-ms X        time spent sampling one tactic on one problem (default 15)\n" \
    "  --min-samples N      at least this many samples, whatever the budget (default 5)\n" \
    "  --max-samples N      at most this many samples (default 100)\n" \
    "  --sample-us X        aim for samples (graph replays) of about this long (default 500)\n" \
    "  --max-launches N     most launches in one graph, unless the copies need more (default 32)\n" \
    "  --warmup N           untimed replays before sampling (default 2)\n" \
    "  --settle-ms X        then replay untimed for about X ms, so a kernel that runs the GPU\n" \
    "                       into its power cap is timed at the clock its own load settles at\n" \
    "                       (default 0: sampling starts right after the warm-up)\n" \
    "  --l2-factor F        operand copies exceed F times the L2 size (default 2)\n" \
    "  --seed S             random seed of the inputs (default 1234)\n" \
    "\n"

// Takes `arg value` when it is one of the timing flags; false for any other flag.
bool parse_timing_option(std::string const& arg, std::string const& value, TimingOptions& o) {
  if (arg == "--budget-ms") o.budget_ms = to_double(arg, value);
  else if (arg == "--sample-us") o.sample_us = to_double(arg, value);
  else if (arg == "--l2-factor") o.l2_factor = to_double(arg, value);
  else if (arg == "--settle-ms") o.settle_ms = to_double(arg, value, /*zero_ok=*/true);
  else if (arg == "--min-samples") o.min_samples = to_int(arg, value);
  else if (arg == "--max-samples") o.max_samples = to_int(arg, value);
  else if (arg == "--max-launches") o.max_launches = to_int(arg, value);
  else if (arg == "--warmup") o.warmup = to_int(arg, value);
  else if (arg == "--seed") o.seed = std::stoull(value);
  else return false;
  return true;
}

// The problem flags every bench takes, and what --help and --list ask for.
struct ProblemOptions {
  int n = 0, k = 0, group = 128;
  std::vector<int> ms;
  std::string label, out;
  bool list = false, help = false;
};

// Reads argv[i] as a flag and its value ("--x=v" or "--x v", moving i past the value);
// false for --help and --list, which it records and which take no value.
bool next_flag(int argc, char** argv, int& i, ProblemOptions& o, std::string& arg,
               std::string& value) {
  arg = argv[i];
  value.clear();
  if (arg == "--help" || arg == "-h") { o.help = true; return false; }
  if (arg == "--list") { o.list = true; return false; }
  auto const eq = arg.find('=');
  if (eq != std::string::npos) {
    value = arg.substr(eq + 1);
    arg = arg.substr(0, eq);
  } else {
    if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value (see --help)");
    value = argv[++i];
  }
  return true;
}

// --n, --k, --group, --m, --label, --out; false when `arg` is none of them.
bool parse_problem_option(std::string const& arg, std::string const& value, ProblemOptions& o) {
  if (arg == "--n") o.n = to_int(arg, value);
  else if (arg == "--k") o.k = to_int(arg, value);
  else if (arg == "--group") o.group = to_int(arg, value);
  else if (arg == "--m") {
    std::vector<int> const ms = to_ints(arg, value);
    o.ms.insert(o.ms.end(), ms.begin(), ms.end());
  } else if (arg == "--label") o.label = value;
  else if (arg == "--out") o.out = value;
  else return false;
  return true;
}

// After the flags: --n, --k and --m must have been given.
void check_problem_options(ProblemOptions const& o) {
  if (o.n <= 0 || o.k <= 0 || o.ms.empty())
    throw std::invalid_argument("--n, --k and --m are required (see --help)");
}

void check_timing_options(TimingOptions const& o) {
  if (o.min_samples < 1 || o.max_samples < o.min_samples || o.max_launches < 1 || o.warmup < 0)
    throw std::invalid_argument("need 1 <= --min-samples <= --max-samples, --max-launches >= 1");
  if (o.settle_ms > 600e3) throw std::invalid_argument("--settle-ms must be at most 600000");
}

// ---- small helpers ----------------------------------------------------------------------

std::string json_str(std::string const& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') { out += "\\n"; continue; }
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out + "\"";
}

std::string first_line(std::string const& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) : line;
}

using BufferPtr = std::unique_ptr<DeviceBuffer>;

BufferPtr clone(DeviceBuffer const& src) {
  auto b = std::make_unique<DeviceBuffer>(src.bytes);
  if (b->bytes) W4A16_CUDA(cudaMemcpy(b->ptr, src.ptr, src.bytes, cudaMemcpyDeviceToDevice));
  return b;
}

// The first `copies` operand sets (each with activations `a` and output `out`) sized for M:
// activation rows tiled from `base_a` ([base_rows, k] fp16), the output poisoned; buffers are
// reallocated only when M changes, and sets beyond `copies` give theirs back. Device-to-device
// cudaMemcpy/cudaMemset may return before they finish and the timing stream does not wait on
// the default stream, so this waits for them before any GEMM reads the sets.
template <class Set>
std::vector<Set*> activation_sets(std::vector<Set>& sets, int copies, int m, int k, int n,
                                  DeviceBuffer const& base_a, int base_rows) {
  std::vector<Set*> out;
  size_t const row = static_cast<size_t>(k) * 2, a_bytes = static_cast<size_t>(m) * row;
  for (int i = 0; i < copies; ++i) {
    Set& s = sets[i];
    if (!s.a || s.a->bytes != a_bytes) {
      s.a.reset();
      s.out.reset();
      s.a = std::make_unique<DeviceBuffer>(a_bytes);
      for (int r0 = 0; r0 < m; r0 += base_rows)
        W4A16_CUDA(cudaMemcpy(s.a->c() + r0 * row, base_a.ptr, std::min(base_rows, m - r0) * row,
                              cudaMemcpyDeviceToDevice));
      s.out = std::make_unique<DeviceBuffer>(static_cast<size_t>(m) * n * 2);
      W4A16_CUDA(cudaMemset(s.out->ptr, kPoisonByte, s.out->bytes));
    }
    out.push_back(&s);
  }
  for (size_t i = copies; i < sets.size(); ++i) {
    sets[i].a.reset();
    sets[i].out.reset();
  }
  W4A16_CUDA(cudaDeviceSynchronize());
  return out;
}

// Operand copies whose total exceeds l2_factor times the L2 size.
int copies_for(double l2_factor, size_t l2_bytes, size_t set_bytes) {
  return static_cast<int>(l2_factor * static_cast<double>(l2_bytes) / set_bytes) + 1;
}

// Where a bench writes its records: the --out file, else stdout. Every line is flushed, so a
// run cut off keeps what it measured.
class RecordSink {
 public:
  explicit RecordSink(std::string const& path) {
    if (path.empty()) return;
    file_.open(path);
    if (!file_) throw std::invalid_argument("cannot write " + path);
  }
  void emit(std::string const& line) {
    std::ostream& out = file_.is_open() ? static_cast<std::ostream&>(file_) : std::cout;
    out << line << "\n" << std::flush;
  }

 private:
  std::ofstream file_;
};

// The GPU a bench times on (device 0) and the CUDA versions, for its device record.
struct DeviceInfo {
  cudaDeviceProp prop{};
  int runtime = 0;
  int driver = 0;
  size_t l2_bytes() const { return static_cast<size_t>(prop.l2CacheSize); }
};

DeviceInfo query_device() {
  DeviceInfo d;
  W4A16_CUDA(cudaGetDeviceProperties(&d.prop, 0));
  W4A16_CUDA(cudaRuntimeGetVersion(&d.runtime));
  W4A16_CUDA(cudaDriverGetVersion(&d.driver));
  return d;
}

// The device record: the device's fields, then `extra` (", \"adapter\": ..." of the bench).
std::string device_record(DeviceInfo const& d, std::string const& extra) {
  std::ostringstream js;
  js << "{\"record\": \"device\", \"name\": " << json_str(d.prop.name)
     << ", \"sm_count\": " << d.prop.multiProcessorCount << ", \"l2_bytes\": " << d.l2_bytes()
     << ", \"global_memory_bytes\": " << d.prop.totalGlobalMem
     << ", \"cuda_runtime\": " << d.runtime << ", \"cuda_driver\": " << d.driver << extra << "}";
  return js.str();
}

// False, after a one-line error naming the bench, where no SM90 GPU can run it.
bool sm90_usable(char const* binary) {
  std::string const why = sm90_unavailable_reason();
  if (why.empty()) return true;
  std::fprintf(stderr, "error: %s needs an SM90 GPU: %s\n", binary, why.c_str());
  return false;
}

// After a tactic threw: clear CUDA's last error and make sure the device still runs work. A
// device left unusable would fail every later tactic, so the run stops there instead.
void stop_if_device_unusable(std::string const& tactic, std::string const& message,
                             cudaStream_t stream) {
  cudaGetLastError();
  if (cudaStreamSynchronize(stream) != cudaSuccess || cudaDeviceSynchronize() != cudaSuccess)
    throw std::runtime_error("CUDA error left the device unusable after " + tactic + ": " +
                             message);
}

// ---- device kernels ---------------------------------------------------------------------

// Counts elements whose exponent bits are all ones (Inf or NaN; the poison is NaN).
__global__ void count_nonfinite(uint16_t const* x, size_t n, uint16_t exp_mask,
                                unsigned long long* count) {
  unsigned long long local = 0;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    local += (x[i] & exp_mask) == exp_mask;
  if (local) atomicAdd(count, local);
}

// Holds the stream until the host sets *flag (or a second has passed, so it cannot hang).
__global__ void wait_for_host(int const volatile* flag) {
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (*flag == 0 && now - start < 1000000000ull);
}

// ---- graphs and timing ------------------------------------------------------------------

struct GraphExec {
  cudaGraphExec_t exec = nullptr;
  GraphExec() = default;
  GraphExec(GraphExec const&) = delete;
  GraphExec& operator=(GraphExec const&) = delete;
  ~GraphExec() {
    if (exec) cudaGraphExecDestroy(exec);
  }
};

// Capture launch(0), ..., launch(launches - 1) into one graph; launch(i, stream) enqueues one
// GEMM on operand copy i % copies.
template <typename Launch>
std::unique_ptr<GraphExec> capture(Launch const& launch, int launches, cudaStream_t stream) {
  W4A16_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed));
  cudaGraph_t graph = nullptr;
  try {
    for (int i = 0; i < launches; ++i) launch(i, stream);
  } catch (...) {
    cudaStreamEndCapture(stream, &graph);
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  W4A16_CUDA(cudaStreamEndCapture(stream, &graph));
  auto exec = std::make_unique<GraphExec>();
  cudaError_t err = cudaGraphInstantiate(&exec->exec, graph, 0);
  cudaGraphDestroy(graph);
  W4A16_CUDA(err);
  return exec;
}

class Timer {
 public:
  Timer() {
    W4A16_CUDA(cudaHostAlloc(reinterpret_cast<void**>(&flag_), sizeof(int), cudaHostAllocMapped));
    W4A16_CUDA(cudaHostGetDevicePointer(reinterpret_cast<void**>(&flag_dev_), flag_, 0));
  }
  ~Timer() {
    for (auto e : events_) cudaEventDestroy(e);
    if (flag_) cudaFreeHost(flag_);
  }
  Timer(Timer const&) = delete;
  Timer& operator=(Timer const&) = delete;

  // Milliseconds of each of `reps` replays, all queued behind the host flag.
  std::vector<double> replays(GraphExec const& g, int reps, cudaStream_t stream) {
    while (static_cast<int>(events_.size()) < reps + 1) {
      cudaEvent_t e;
      W4A16_CUDA(cudaEventCreate(&e));
      events_.push_back(e);
    }
    *static_cast<int volatile*>(flag_) = 0;
    wait_for_host<<<1, 1, 0, stream>>>(flag_dev_);
    W4A16_CUDA(cudaGetLastError());
    for (int i = 0; i < reps; ++i) {
      W4A16_CUDA(cudaEventRecord(events_[i], stream));
      W4A16_CUDA(cudaGraphLaunch(g.exec, stream));
    }
    W4A16_CUDA(cudaEventRecord(events_[reps], stream));
    std::atomic_thread_fence(std::memory_order_seq_cst);
    *static_cast<int volatile*>(flag_) = 1;
    W4A16_CUDA(cudaStreamSynchronize(stream));
    std::vector<double> ms(reps);
    for (int i = 0; i < reps; ++i) {
      float t = 0;
      W4A16_CUDA(cudaEventElapsedTime(&t, events_[i], events_[i + 1]));
      ms[i] = t;
    }
    return ms;
  }

  // `reps` untimed replays, then wait for them.
  void run(GraphExec const& g, int reps, cudaStream_t stream) {
    for (int i = 0; i < reps; ++i) W4A16_CUDA(cudaGraphLaunch(g.exec, stream));
    W4A16_CUDA(cudaStreamSynchronize(stream));
  }

 private:
  int* flag_ = nullptr;
  int* flag_dev_ = nullptr;
  std::vector<cudaEvent_t> events_;
};

struct Stats {
  double median = 0, min = 0, p90 = 0, mean = 0;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  size_t const n = v.size();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.min = v.front();
  s.p90 = v[static_cast<size_t>(std::ceil(0.9 * n)) - 1];  // nearest rank
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / n;
  return s;
}

struct TacticResult {
  std::string status = "ok", message;
  Stats us;
  int samples = 0, launches = 0;
  unsigned long long nonfinite = 0;
};

// One launch(0) into `out`, poisoned first; returns how many of its `elements` 16-bit values
// are not finite (exp_mask: 0x7C00 for fp16, 0x7F80 for bf16). `counter` is device memory.
template <typename Launch>
unsigned long long poisoned_run(Launch const& launch, DeviceBuffer const& out, size_t elements,
                                uint16_t exp_mask, unsigned long long* counter, cudaStream_t stream) {
  unsigned long long nonfinite = 0;
  W4A16_CUDA(cudaMemsetAsync(out.ptr, kPoisonByte, out.bytes, stream));
  W4A16_CUDA(cudaMemsetAsync(counter, 0, sizeof(*counter), stream));
  launch(0, stream);
  W4A16_CUDA(cudaGetLastError());
  count_nonfinite<<<264, 256, 0, stream>>>(static_cast<uint16_t const*>(out.ptr), elements, exp_mask,
                                           counter);
  W4A16_CUDA(cudaGetLastError());
  W4A16_CUDA(cudaMemcpyAsync(&nonfinite, counter, sizeof(nonfinite), cudaMemcpyDeviceToHost, stream));
  W4A16_CUDA(cudaStreamSynchronize(stream));
  return nonfinite;
}

// Replays that fill about settle_ms (at least one, at most a million).
int settle_replays(double settle_ms, double sample_ms) {
  return static_cast<int>(std::clamp(std::ceil(settle_ms / sample_ms), 1.0, 1e6));
}

// Times launch(i, stream) over `copies` operand copies and fills r's times, samples and
// launches per sample.
template <typename Launch>
void sample_launches(TimingOptions const& o, Launch const& launch, int copies, Timer& timer,
                     cudaStream_t stream, TacticResult& r) {
  // 1. estimate one launch from a graph that visits every copy once.
  auto graph = capture(launch, copies, stream);
  auto probe = timer.replays(*graph, 2, stream);
  double const launch_ms = std::max(std::min(probe[0], probe[1]) / copies, 1e-4);
  // 2. the sampling graph: about --sample-us long, a whole number of rounds over the copies.
  int want = static_cast<int>(std::lround(o.sample_us * 1e-3 / launch_ms));
  want = std::clamp(want, 1, o.max_launches);
  r.launches = copies * std::max(1, (want + copies - 1) / copies);
  if (r.launches != copies) graph = capture(launch, r.launches, stream);
  if (o.warmup > 0) timer.replays(*graph, o.warmup, stream);
  double const sample_ms = launch_ms * r.launches;
  if (o.settle_ms > 0) timer.run(*graph, settle_replays(o.settle_ms, sample_ms), stream);
  r.samples = static_cast<int>(std::clamp(o.budget_ms / sample_ms, static_cast<double>(o.min_samples),
                                          static_cast<double>(o.max_samples)));
  auto ms = timer.replays(*graph, r.samples, stream);
  for (double& x : ms) x = x * 1e3 / r.launches;  // microseconds per launch
  r.us = stats_of(ms);
}

// The timing fields of an "ok" tactic record (", \"median_us\": ...").
void write_timing_fields(std::ostream& js, TacticResult const& r, int copies) {
  js << ", \"median_us\": " << r.us.median << ", \"min_us\": " << r.us.min
     << ", \"p90_us\": " << r.us.p90 << ", \"mean_us\": " << r.us.mean
     << ", \"samples\": " << r.samples << ", \"launches_per_sample\": " << r.launches
     << ", \"copies\": " << copies;
}

// A bench's main: parse, --help, --list or the run, with the exit status both benches
// document (0 done, 2 bad arguments or no usable SM90 GPU, 3 a CUDA error).
template <class Options, class Parse, class List, class Run>
int bench_main(int argc, char** argv, char const* usage, Parse parse, List list, Run run) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (std::exception const& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  if (o.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  try {
    return o.list ? list() : run(o);
  } catch (std::invalid_argument const& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (std::exception const& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 3;
  }
}

}  // namespace
}  // namespace w4a16::bench
