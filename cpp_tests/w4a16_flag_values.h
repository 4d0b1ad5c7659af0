// Numbers from command-line flags, for the bench binaries and the tool: the whole value must be
// the number, else the error names the flag and the value.
#pragma once

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

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

// A comma-separated list of integers ("1,16,64"); an empty value gives an empty list.
inline std::vector<int> to_ints(std::string const& flag, std::string const& v) {
  std::vector<int> out;
  std::stringstream ss(v);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(to_int(flag, item));
  return out;
}

// A finite number above zero, or zero too where zero_ok (a length of time that may be none).
inline double to_double(std::string const& flag, std::string const& v, bool zero_ok = false) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (std::exception const&) {
    used = 0;
  }
  bool const in_range = std::isfinite(x) && (x > 0 || (zero_ok && x == 0));
  if (used != v.size() || v.empty() || !in_range)
    throw std::invalid_argument(flag + (zero_ok ? " expects a number of zero or more, got '"
                                                : " expects a positive number, got '") +
                                v + "'");
  return x;
}

}  // namespace w4a16
