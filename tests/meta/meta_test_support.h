#pragma once
// Helpers shared by the meta-model tests.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a::test {

// Every parameter of `module` has a defined, finite gradient that is not all zeros (call after
// backward()).
inline void expect_gradients_everywhere(const torch::nn::Module& module) {
  for (const auto& item : module.named_parameters()) {
    const torch::Tensor& grad = item.value().grad();
    ASSERT_TRUE(grad.defined()) << item.key() << " got no gradient";
    EXPECT_TRUE(torch::isfinite(grad).all().item<bool>()) << item.key();
    EXPECT_GT(grad.abs().max().item<double>(), 0.0) << item.key() << " has an all-zero gradient";
  }
}

// `count` cells drawn uniformly from the space with a fixed seed (duplicates possible).
inline std::vector<Nb201Cell> random_cells(int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Nb201Cell> cells;
  for (int i = 0; i < count; ++i) {
    cells.push_back(Nb201Cell::from_dense_index(static_cast<int>(rng() % kNb201NumCells)));
  }
  return cells;
}

// This test program's folder under the system temp dir ($TMPDIR), removed when the program
// exits (by the process that made it: a forked child that calls exit() leaves it alone).
inline const std::filesystem::path& meta_scratch_root() {
  static const struct Root {
    pid_t owner = ::getpid();
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("d2a_meta_tests_" + std::to_string(owner));
    ~Root() {
      std::error_code ignored;
      if (::getpid() == owner) std::filesystem::remove_all(path, ignored);
    }
  } root;
  return root.path;
}

// A fresh empty folder in meta_scratch_root() (the torch test objects are compiled without the
// build-tree paths that test_support.h's scratch_dir needs).
inline std::filesystem::path meta_scratch_dir(const std::string& name) {
  const auto dir = meta_scratch_root() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace d2a::test
