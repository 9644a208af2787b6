#pragma once
// 64-bit FNV-1a: a stable, dependency-free fingerprint for ids and cache keys (not a security
// hash). Private to src/meta.
#include <cstdint>
#include <cstdio>
#include <string>

namespace d2a {

struct Fnv1a {
  std::uint64_t state = 14695981039346656037ull;
  void add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      state ^= bytes[i];
      state *= 1099511628211ull;
    }
  }
  void add(const std::string& text) { add(text.data(), text.size()); }
  std::string hex() const {
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(state));
    return buffer;
  }
};

}  // namespace d2a
