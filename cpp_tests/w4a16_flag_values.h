// Numbers from command-line flags, for the bench binaries and the tool: the whole value must be
// the number, else the error names the flag and the value.
#pragma once

#include <stdexcept>
#include <string>

namespace w4a16 {

inline int to_int(std::string const& flag, std::string const& v) {
  size_t used = 0;
  int x = 0;
  try {
    x = std::stoi(v, &used);
  } catch (std::exception const&) {
    used = 0;
  }
  if (used != v.size() || v.empty())
    throw std::invalid_argument(flag + " expects an integer, got '" + v + "'");
  return x;
}

inline double to_double(std::string const& flag, std::string const& v) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (std::exception const&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || !(x > 0))
    throw std::invalid_argument(flag + " expects a positive number, got '" + v + "'");
  return x;
}

}  // namespace w4a16
