// CUDA helpers shared by the test and the benchmark: checked calls, owned device buffers, and
// the one answer to "can the SM90 kernels run here?".
#pragma once

#include <cuda_runtime_api.h>

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

}  // namespace w4a16
