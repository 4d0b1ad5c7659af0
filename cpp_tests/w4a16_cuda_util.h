// CUDA helpers shared by the test and the benchmark: checked calls, owned device buffers, and
// the one answer to "can the SM90 kernels run here?".
#pragma once

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <cxxabi.h>

#include <cctype>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// Every CUDA call goes through this: a failure throws with the call, the error and the place.
#define W4A16_CUDA(call)                                                                     \
  do {                                                                                       \
    cudaError_t err_ = (call);                                                               \
    if (err_ != cudaSuccess)                                                                 \
      throw std::runtime_error(std::string(#call) + " failed: " + cudaGetErrorString(err_) + \
                               " at " __FILE__ ":" + std::to_string(__LINE__));              \
  } while (0)

namespace w4a16 {

// Device memory owned by one object; null for zero bytes.
struct DeviceBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
  explicit DeviceBuffer(size_t n = 0) : bytes(n) {
    if (n) W4A16_CUDA(cudaMalloc(&ptr, n));
  }
  DeviceBuffer(DeviceBuffer const&) = delete;
  DeviceBuffer& operator=(DeviceBuffer const&) = delete;
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
  char* c() const { return static_cast<char*>(ptr); }

  template <typename T>
  static std::unique_ptr<DeviceBuffer> from(std::vector<T> const& host) {
    auto b = std::make_unique<DeviceBuffer>(host.size() * sizeof(T));
    if (b->bytes) W4A16_CUDA(cudaMemcpy(b->ptr, host.data(), b->bytes, cudaMemcpyHostToDevice));
    return b;
  }
};

// Why the SM90 kernels cannot run here, or "" when device 0 is an SM90 GPU.
inline std::string sm90_unavailable_reason() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess)
    return std::string("no usable CUDA device (") + cudaGetErrorString(err) + ")";
  if (count == 0) return "no CUDA device present";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "cannot read device properties";
  if (prop.major != 9 || prop.minor != 0)
    return "device 0 is " + std::string(prop.name) + " (SM" + std::to_string(prop.major) +
           std::to_string(prop.minor) + "), these kernels need SM90";
  return "";
}

// "<index> <PCI bus id>" of the current device, e.g. "0 0000:19:00.0": which GPU ran a case.
inline std::string device_label() {
  int dev = 0;
  W4A16_CUDA(cudaGetDevice(&dev));
  char bus[32] = {0};
  W4A16_CUDA(cudaDeviceGetPCIBusId(bus, sizeof bus, dev));
  return std::to_string(dev) + " " + bus;
}

// A kernel's name as C++ spells it (the demangled symbol, or the symbol itself).
inline std::string demangle(char const* symbol) {
  int status = 0;
  char* text = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
  std::string out = status == 0 && text ? text : symbol;
  std::free(text);
  return out;
}

// The name of the device function a captured kernel node launches. The runtime answers for
// kernels launched through it; a kernel launched through the driver API carries a driver
// function handle, which the driver's cuFuncGetName names (found at run time: no link to
// libcuda needed).
// CUDA 12.5 runtimes and newer name kernels (cudaFuncGetName, the driver entry point by
// version); with an older one the tests record the kernel as unnamed and do not check it.
inline constexpr bool kCanNameKernels = CUDART_VERSION >= 12050;
inline constexpr char const* kUnnamedKernel = "unnamed kernel";

inline std::string kernel_node_name(cudaGraphNode_t node) {
#if CUDART_VERSION < 12050
  (void)node;
  return kUnnamedKernel;
#else
  cudaKernelNodeParams params{};
  W4A16_CUDA(cudaGraphKernelNodeGetParams(node, &params));
  char const* name = nullptr;
  if (cudaFuncGetName(&name, params.func) == cudaSuccess && name) return demangle(name);
  cudaGetLastError();
  using GetName = CUresult (*)(char const**, CUfunction);
  void* entry = nullptr;
  cudaDriverEntryPointQueryResult found{};
  if (cudaGetDriverEntryPointByVersion("cuFuncGetName", &entry, 12030, cudaEnableDefault, &found) ==
          cudaSuccess &&
      found == cudaDriverEntryPointSuccess && entry &&
      reinterpret_cast<GetName>(entry)(&name, reinterpret_cast<CUfunction>(params.func)) ==
          CUDA_SUCCESS &&
      name)
    return demangle(name);
  return kUnnamedKernel;
#endif
}

// Runs `launch(stream)` under stream capture, replays the captured graph once and waits for
// it; returns the names of the kernels it launched, in graph order. This is how a test knows
// which kernel produced the output it checks, not only which entry point it called.
template <typename F>
std::vector<std::string> run_captured(F&& launch, cudaStream_t stream) {
  W4A16_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed));
  cudaGraph_t graph = nullptr;
  try {
    launch(stream);
  } catch (...) {
    cudaStreamEndCapture(stream, &graph);
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  W4A16_CUDA(cudaStreamEndCapture(stream, &graph));
  std::unique_ptr<CUgraph_st, cudaError_t (*)(cudaGraph_t)> owned(graph, cudaGraphDestroy);
  size_t count = 0;
  W4A16_CUDA(cudaGraphGetNodes(graph, nullptr, &count));
  std::vector<cudaGraphNode_t> nodes(count);
  W4A16_CUDA(cudaGraphGetNodes(graph, nodes.data(), &count));
  std::vector<std::string> names;
  for (auto node : nodes) {
    cudaGraphNodeType type{};
    W4A16_CUDA(cudaGraphNodeGetType(node, &type));
    if (type == cudaGraphNodeTypeKernel) names.push_back(kernel_node_name(node));
  }
  cudaGraphExec_t exec = nullptr;
  W4A16_CUDA(cudaGraphInstantiate(&exec, graph, 0));
  std::unique_ptr<CUgraphExec_st, cudaError_t (*)(cudaGraphExec_t)> owned_exec(exec,
                                                                                cudaGraphExecDestroy);
  W4A16_CUDA(cudaGraphLaunch(exec, stream));
  W4A16_CUDA(cudaStreamSynchronize(stream));
  return names;
}

// The qualified name at the head of an Itanium-mangled symbol ("_ZN7cutlass13device_kernelI..."
// -> "cutlass::device_kernel"), or "" when it has no such head. The demangler gives up on some
// of CUTLASS's deeply nested kernel names; their head is all the family needs.
inline std::string mangled_head(std::string const& symbol) {
  if (symbol.rfind("_ZN", 0) != 0) return "";
  std::string out;
  size_t i = 3;
  while (i < symbol.size() && std::isdigit(static_cast<unsigned char>(symbol[i]))) {
    size_t len = 0;
    while (i < symbol.size() && std::isdigit(static_cast<unsigned char>(symbol[i])))
      len = len * 10 + static_cast<size_t>(symbol[i++] - '0');
    if (i + len > symbol.size()) return "";
    out += (out.empty() ? "" : "::") + symbol.substr(i, len);
    i += len;
  }
  return out;
}

// The family of a kernel name: what comes before its template arguments, without the
// return type ("cutlass::device_kernel", "tensorrt_llm::_v1::kernels::weight_only::kernel").
inline std::string kernel_family(std::string const& name) {
  std::string const head = mangled_head(name);
  if (!head.empty()) return head;
  std::string base = name.substr(0, name.find_first_of("<("));
  if (base.rfind("void ", 0) == 0) base = base.substr(5);
  return base;
}

}  // namespace w4a16
