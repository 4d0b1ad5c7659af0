// The command-line tool beside the test: the modes scripts/w4a16 drives, each run on its own.
//
//   --w4a16_preprocess=IN,OUT,K,N  write the SM90 layout of IN (K*N int8, row-major) to OUT
//   --w4a16_case=DIR               run the tactics a case folder asks for (see casefiles.py)
//   --w4a16_workspace_repro=BYTES  run the stream-K tactics with that much workspace, unchecked
//   --w4a16_default_config=N,K,GROUP,SMS:M,...
//                                  print the tactic a config naming no tile runs for each M, on
//                                  an N x K weight with that group size and a GPU of SMS SMs
//                                  (fixes 0006 and 0009 of the series); host only, no GPU needed
//
// It shares the problem set-up and the tactic runner with the tests (w4a16_case_runner.h).
// Only this repository's builds make it; inside TensorRT-LLM the test alone is added.
#include <cuda_runtime_api.h>

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "w4a16_case_runner.h"
#include "w4a16_cuda_util.h"
#include "w4a16_flag_values.h"
#include "w4a16_gemm_adapter.h"
#include "w4a16_host_ref.h"

namespace w4a16 {
namespace {

std::vector<char> read_file(std::string const& path, size_t expected) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (expected != static_cast<size_t>(-1) && data.size() != expected)
    throw std::runtime_error(path + ": expected " + std::to_string(expected) + " bytes, found " +
                             std::to_string(data.size()));
  return data;
}

void write_file(std::string const& path, void const* data, size_t bytes) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !f.write(static_cast<char const*>(data), static_cast<std::streamsize>(bytes)))
    throw std::runtime_error("cannot write " + path);
}

int preprocess_mode(std::string const& spec) {
  std::vector<std::string> parts;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) parts.push_back(item);
  if (parts.size() != 4)
    throw std::invalid_argument("--w4a16_preprocess expects IN,OUT,K,N (got '" + spec + "')");
  int k = std::stoi(parts[2]), n = std::stoi(parts[3]);
  check_weight_shape(k, n);
  auto raw = read_file(parts[0], static_cast<size_t>(k) * n);
  auto packed = preprocess_sm90(reinterpret_cast<int8_t const*>(raw.data()), k, n);
  write_file(parts[1], packed.data(), packed.size());
  return 0;
}

// Minimal reader for the flat case.json that scripts/w4a16/casefiles.py writes.
std::string json_value(std::string const& text, std::string const& key) {
  auto pos = text.find("\"" + key + "\"");
  if (pos == std::string::npos) throw std::invalid_argument("case.json: missing key " + key);
  pos = text.find(':', pos) + 1;
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  if (text[pos] == '[') return text.substr(pos, text.find(']', pos) - pos + 1);
  if (text[pos] == '"') return text.substr(pos + 1, text.find('"', pos + 1) - pos - 1);
  auto end = text.find_first_of(",}\n", pos);
  std::string v = text.substr(pos, end - pos);
  v.erase(v.find_last_not_of(" \t\r") + 1);
  return v;
}

std::string json_escape(std::string const& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') { out += "\\n"; continue; }
    out += ch;
  }
  return out;
}

int case_mode(std::string const& dir) {
  std::string const text = [&] {
    auto raw = read_file(dir + "/case.json", static_cast<size_t>(-1));
    return std::string(raw.begin(), raw.end());
  }();
  if (json_value(text, "version") != "1") throw std::invalid_argument("case.json: version must be 1");
  Problem p;
  p.m = std::stoi(json_value(text, "m"));
  p.n = std::stoi(json_value(text, "n"));
  p.k = std::stoi(json_value(text, "k"));
  p.group = std::stoi(json_value(text, "group_size"));
  std::string dtype = json_value(text, "dtype"), quant = json_value(text, "quant_op");
  if (dtype != "fp16" && dtype != "bf16") throw std::invalid_argument("case.json: bad dtype " + dtype);
  if (quant != "scale_only" && quant != "scale_zeros")
    throw std::invalid_argument("case.json: bad quant_op " + quant);
  p.act = dtype == "fp16" ? Act::kFp16 : Act::kBf16;
  p.quant = quant == "scale_only" ? Quant::kScaleOnly : Quant::kScaleZeros;
  p.alpha = std::stof(json_value(text, "alpha"));
  p.has_bias = json_value(text, "has_bias") == "true";
  validate_problem(p);
  std::string const tactics = json_value(text, "tactics");
  std::string why = gpu_unavailable_reason();
  if (!why.empty()) throw std::runtime_error("case mode needs an SM90 GPU: " + why);

  size_t const mk = static_cast<size_t>(p.m) * p.k, kn = static_cast<size_t>(p.k) * p.n;
  size_t const groups = static_cast<size_t>(p.k / p.group) * p.n;
  auto as_u16 = [](std::vector<char> const& v) {
    std::vector<uint16_t> out(v.size() / 2);
    std::memcpy(out.data(), v.data(), out.size() * 2);
    return out;
  };
  PreparedCase c;
  c.p = p;
  auto q = read_file(dir + "/weights_int4.bin", kn);
  c.a = DeviceBuffer::from(as_u16(read_file(dir + "/activations.bin", mk * 2)));
  c.b = DeviceBuffer::from(kernel_weights(reinterpret_cast<int8_t const*>(q.data()), p.k, p.n));
  c.scales = DeviceBuffer::from(as_u16(read_file(dir + "/scales.bin", groups * 2)));
  if (p.quant == Quant::kScaleZeros)
    c.zeros = DeviceBuffer::from(as_u16(read_file(dir + "/zeros.bin", groups * 2)));
  if (p.has_bias) c.bias = DeviceBuffer::from(as_u16(read_file(dir + "/bias.bin", p.n * 2)));

  std::string const out_dir = dir + "/out";
  std::string mk_cmd = "mkdir -p '" + out_dir + "'";
  if (std::system(mk_cmd.c_str()) != 0) throw std::runtime_error("cannot create " + out_dir);
  cudaDeviceProp prop{};
  W4A16_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::ostringstream js;
  js << "{\"version\": 1, \"device\": \"" << json_escape(prop.name) << "\", \"adapter\": \""
     << kAdapterName << "\", \"preprocessing\": \"" << json_escape(preprocessing_name(p.k, p.n))
     << "\", \"tactics\": [";
  bool first = true;
  for (auto const& config : candidate_configs()) {
    std::string name = tactic_name(config);
    if (tactics.find("\"all\"") == std::string::npos && tactics.find("\"" + name + "\"") == std::string::npos)
      continue;
    std::string status = "ok", message, file = "null", kernel;
    std::string const why = tactic_unavailable(p, config);
    if (!why.empty()) {
      status = "not_compiled";
      message = why;
    } else {
      try {
        auto run = run_tactic(c, config);
        write_file(out_dir + "/" + name + ".bin", run.out.data(), run.out.size() * 2);
        file = "\"out/" + name + ".bin\"";
        kernel = families(run.kernels);
      } catch (std::exception const& e) {
        status = "error";
        message = e.what();
        cudaGetLastError();  // clear a sticky launch error so the next tactic can run
      }
    }
    js << (first ? "" : ", ") << "{\"name\": \"" << name << "\", \"status\": \"" << status
       << "\", \"message\": \"" << json_escape(message) << "\", \"kernel\": \"" << json_escape(kernel)
       << "\", \"file\": " << file << "}";
    first = false;
    std::printf("[w4a16 case] %-45s %s\n", name.c_str(), status.c_str());
  }
  js << "]}\n";
  std::string const result = js.str();
  write_file(dir + "/result.json", result.data(), result.size());
  return 0;
}

// Reproduces what TensorRT-LLM does with a workspace smaller than the SM90 rule: each
// compiled 128-row (stream-K) fp16 scale-only tactic runs once with the SM90-rule workspace
// and once with exactly `bytes`, the second bypassing our own size check; the outputs are
// compared bit for bit. Meant to be run plainly and under compute-sanitizer memcheck (no
// float64 reference here, so it stays fast under the sanitizer).
int workspace_repro_mode(std::string const& spec) {
  size_t const bytes = std::stoull(spec);
  std::string why = gpu_unavailable_reason();
  if (!why.empty()) throw std::runtime_error("workspace repro needs an SM90 GPU: " + why);
  size_t const rule = sm90_workspace_bytes(device_sm_count());
  std::printf("workspace given: %zu bytes; SM90 rule: %zu bytes\n", bytes, rule);
  int differing_runs = 0;
  for (auto shape : {std::array<int, 3>{1024, 2048, 2048}, std::array<int, 3>{16, 8192, 8192},
                     std::array<int, 3>{1000, 4096, 4096}, std::array<int, 3>{4096, 8192, 8192}}) {
    Problem p = make(shape[0], shape[1], shape[2], 128, Act::kFp16, Quant::kScaleOnly, false, 1.f);
    auto c = prepare(p, run_seed(), /*with_reference=*/false);
    size_t const outs = static_cast<size_t>(p.m) * p.n;
    for (auto const& config : candidate_configs()) {
      if (tile_m(config) != 128 || !tactic_compiled(p.act, p.quant, config)) continue;
      std::vector<uint16_t> host[2];
      std::string status[2];
      for (int run = 0; run < 2; ++run) {
        size_t const ws_bytes = run == 0 ? rule : bytes;
        PoisonedOutput out(outs);
        DeviceBuffer ws(ws_bytes);
        status[run] = "ok";
        try {
          run_gemm_unchecked(p, args_for(*c, out.buf.ptr), config, static_cast<char*>(ws.ptr),
                             ws_bytes, 0);
          cudaError_t e = cudaDeviceSynchronize();
          if (e != cudaSuccess) status[run] = std::string("CUDA error: ") + cudaGetErrorString(e);
        } catch (std::exception const& e) {
          status[run] = std::string("threw: ") + e.what();
        }
        if (status[run].rfind("CUDA error", 0) == 0) {
          std::printf("M=%-5d N=%-5d K=%-5d %-36s workspace=%zu: %s\n", p.m, p.n, p.k,
                      tactic_name(config).c_str(), ws_bytes, status[run].c_str());
          return 3;  // the context is unusable after a fault
        }
        host[run] = status[run] == "ok" ? out.read() : std::vector<uint16_t>(outs, kPoisonBits);
      }
      size_t differ = 0, nan = 0;
      for (size_t i = 0; i < outs; ++i) {
        differ += host[0][i] != host[1][i];
        nan += !std::isfinite(bits_to_float(host[1][i], p.act));
      }
      if (status[1] != "ok" || differ) ++differing_runs;
      std::printf("M=%-5d N=%-5d K=%-5d %-36s rule: %s | small: %s, %zu of %zu outputs differ, "
                  "%zu NaN\n", p.m, p.n, p.k, tactic_name(config).c_str(), status[0].c_str(),
                  status[1].c_str(), differ, outs, nan);
      std::fflush(stdout);
    }
  }
  std::printf("%d tactic/shape runs changed with the small workspace\n", differing_runs);
  return differing_runs ? 1 : 0;
}

}  // namespace
// One line per M, in the order given: "m=<M> tactic=<name>" (scripts/w4a16/lab/crossover.py).
// The spec is "N,K,GROUP,SMS:M,...": the rule of fix 0009 reads the whole problem and the SM
// count; the rule of fix 0006 alone reads only M.
int default_config_mode(std::string const& spec) {
  char const* flag = "--w4a16_default_config";
  std::size_t const colon = spec.find(':');
  if (colon == std::string::npos)
    throw std::invalid_argument(std::string(flag) + " expects N,K,GROUP,SMS:M,... (got '" + spec +
                                "')");
  std::vector<int> const shape = to_ints(flag, spec.substr(0, colon));
  for (int v : shape)
    if (v < 1)
      throw std::invalid_argument(std::string(flag) + " expects N, K, GROUP and SMS >= 1, got " +
                                  std::to_string(v));
  if (shape.size() != 4)
    throw std::invalid_argument(std::string(flag) + " expects four numbers N,K,GROUP,SMS before "
                                "the colon (got '" + spec.substr(0, colon) + "')");
  std::vector<int> const ms = to_ints(flag, spec.substr(colon + 1));
  for (int m : ms)
    if (m < 1)
      throw std::invalid_argument(std::string(flag) + " expects token counts M >= 1, got " +
                                  std::to_string(m));
  if (ms.empty())
    throw std::invalid_argument(std::string(flag) + " expects token counts M after the colon");
  for (int m : ms) {
    std::optional<tkc::CutlassGemmConfig> const pick =
        default_config_pick(m, shape[0], shape[1], shape[2], shape[3]);
    if (!pick)
      throw std::runtime_error(
          "the SM90 dispatch of these kernel sources has no default config (fix 0006 of the "
          "series is not applied)");
    std::printf("m=%d tactic=%s\n", m, tactic_name(*pick).c_str());
  }
  return 0;
}

}  // namespace w4a16

int main(int argc, char** argv) {
  setenv("TLLM_LOG_LEVEL", "WARNING", /*overwrite=*/0);  // keep TensorRT-LLM's debug log quiet
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    try {
      if (arg.rfind("--w4a16_preprocess=", 0) == 0)
        return w4a16::preprocess_mode(arg.substr(std::string("--w4a16_preprocess=").size()));
      if (arg.rfind("--w4a16_case=", 0) == 0)
        return w4a16::case_mode(arg.substr(std::string("--w4a16_case=").size()));
      if (arg.rfind("--w4a16_workspace_repro=", 0) == 0)
        return w4a16::workspace_repro_mode(arg.substr(std::string("--w4a16_workspace_repro=").size()));
      if (arg.rfind("--w4a16_default_config=", 0) == 0)
        return w4a16::default_config_mode(arg.substr(std::string("--w4a16_default_config=").size()));
    } catch (std::exception const& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 2;
    }
  }
  std::fprintf(stderr,
               "error: no mode given; usage: %s --w4a16_preprocess=IN,OUT,K,N | "
               "--w4a16_case=DIR | --w4a16_workspace_repro=BYTES | "
               "--w4a16_default_config=N,K,GROUP,SMS:M,...\n",
               argc > 0 ? argv[0] : "w4a16SM90Tool");
  return 2;
}
