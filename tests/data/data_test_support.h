#pragma once
// Helpers for the data tests: tiny image files, error checks, and the CIFAR-10 JPEG folder
// unpacked once into the build tree.
#include <gtest/gtest.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "d2a/data/image_ops.h"
#include "d2a/error.h"
#include "test_support.h"

namespace d2a::test {

// Writes an h x w x c PNG whose pixels are `value` + the pixel index (mod 256).
inline void write_png(const std::filesystem::path& path, int h, int w, int c, int value = 0) {
  std::filesystem::create_directories(path.parent_path());
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(h) * w * c);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(value + i);
  ASSERT_NE(stbi_write_png(path.string().c_str(), w, h, c, pixels.data(), w * c), 0) << path;
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Expects `fn` to throw a bad-input d2a::Error whose single-line message contains `needle`
// (typically the offending file's path).
inline void expect_bad_input(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected d2a::Error mentioning '" << needle << "', nothing thrown";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << "message: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message: " << message;
  }
}

// Copies every PNG under `from` to the same place under `to`, resized to side x side with
// resize_bilinear: what a user would get by shrinking their images beforehand.
inline void write_shrunk_copy(const std::filesystem::path& from, const std::filesystem::path& to,
                              int side) {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    if (entry.path().extension() != ".png") continue;
    int width = 0, height = 0, comp = 0;
    stbi_uc* pixels = stbi_load(entry.path().string().c_str(), &width, &height, &comp, 0);
    ASSERT_NE(pixels, nullptr) << entry.path();
    const std::vector<std::uint8_t> shrunk =
        resize_bilinear(pixels, height, width, comp, side, side);
    stbi_image_free(pixels);
    const fs::path out = to / fs::relative(entry.path(), from);
    fs::create_directories(out.parent_path());
    ASSERT_NE(stbi_write_png(out.string().c_str(), side, side, comp, shrunk.data(), side * comp), 0)
        << out;
  }
}

// The shared CIFAR-10 JPEG tarball, or "" when it is absent.
inline std::filesystem::path cifar10_jpeg_tarball() {
  return shared_dir() / "data" / "images" / "cifar10-jpeg.tar.gz";
}

// Unpacks one split ("train" or "test") of the tarball into <build>/data once (a marker file
// records a complete unpack) and returns <build>/data/cifar10, or "" when tar fails. Never
// writes into the source tree.
inline std::filesystem::path unpacked_cifar10_jpeg(const std::string& split) {
  namespace fs = std::filesystem;
  const fs::path dest = fs::path(D2A_BINARY_DIR) / "data";
  const fs::path root = dest / "cifar10";
  const fs::path marker = dest / (".cifar10-jpeg-" + split + ".unpacked");
  if (!fs::exists(marker)) {
    fs::remove_all(root / split);  // a half-finished earlier unpack
    fs::create_directories(dest);
    const std::string command = "tar -xzf '" + cifar10_jpeg_tarball().string() + "' -C '" +
                                dest.string() + "' 'cifar10/" + split + "'";
    if (std::system(command.c_str()) != 0) return {};
    std::ofstream(marker) << "unpacked from " << cifar10_jpeg_tarball().string() << "\n";
  }
  return root;
}

}  // namespace d2a::test
