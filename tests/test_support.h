#pragma once
// Helpers shared by the tests: where the real data lives, and how to skip visibly without it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace d2a::test {

// ../shared beside the checkout (D2A_SHARED_DIR overrides it).
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("D2A_SHARED_DIR")) return env;
  return std::filesystem::path(D2A_SOURCE_DIR) / ".." / "shared";
}

inline std::filesystem::path nb201_table(const std::string& file) {
  return shared_dir() / "data" / "nb201" / file;
}

// A fresh empty folder under the build tree for one test.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::path(D2A_BINARY_DIR) / "test_scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Writes `text` to a file `name` in a fresh scratch_dir(folder) and returns its path (tests of
// malformed input files).
inline std::string write_scratch_file(const std::string& folder, const std::string& name,
                                      const std::string& text) {
  const auto path = scratch_dir(folder) / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

}  // namespace d2a::test

// Skips the test, naming the missing file, when shared data is absent (CI always has it).
#define D2A_REQUIRE_FILE(path)                                                  \
  do {                                                                          \
    if (!std::filesystem::exists(path)) {                                       \
      GTEST_SKIP() << "shared data not found: " << (path).string()              \
                   << " (tests that read ../shared run where it is present)";   \
    }                                                                           \
  } while (0)
