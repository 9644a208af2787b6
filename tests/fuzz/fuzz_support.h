#pragma once
// What every fuzz target shares: a reader either returns a value or throws d2a::Error (its
// clear, one-line refusal); anything else (a crash, another exception, a sanitizer report) is a
// finding. File readers get the input through a private temporary file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "d2a/error.h"

namespace d2a::fuzz {

// A path of this process's own in the system temp dir ($TMPDIR: tools/fuzz/run.sh gives every
// run a folder of its own and removes it afterwards).
inline std::string scratch_path(const std::string& suffix) {
  return (std::filesystem::temp_directory_path() /
          ("d2a-fuzz-" + std::to_string(getpid()) + suffix))
      .string();
}

// A file of its own per process, rewritten for every input.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& suffix) {
  static const std::string path = scratch_path(suffix);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

template <typename Body>
int expect_value_or_error(Body body) {
  try {
    body();
  } catch (const Error&) {
    // d2a's refusal: fine.
  }
  return 0;
}

}  // namespace d2a::fuzz
