#pragma once
// Counts in the text a person reads: "1 epoch", "2 epochs". No torch here.
#include <cstdint>
#include <string>

namespace d2a {

// `n` and the noun, plural (noun + "s") unless n is 1.
inline std::string count_of(std::int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace d2a
