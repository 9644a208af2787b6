#include "d2a/data/cifar_binary.h"

#include <gtest/gtest.h>

#include "d2a/data/open_image_set.h"
#include "data_test_support.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;

// CIFAR records with the given labels; record r has red = r, green = 100 + r, blue = 200 + r
// everywhere except red pixel 1 = 1.
std::vector<std::uint8_t> cifar_records(const std::vector<std::uint8_t>& labels) {
  std::vector<std::uint8_t> out;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    out.push_back(labels[r]);
    for (int channel = 0; channel < 3; ++channel) {
      for (int p = 0; p < 1024; ++p) {
        out.push_back(static_cast<std::uint8_t>(channel == 0 && p == 1 ? 1 : channel * 100 + r));
      }
    }
  }
  return out;
}

TEST(CifarBinary, ReadsBatchesInNumericOrderWithMetaNames) {
  const fs::path dir = test::scratch_dir("cifar_bin");
  test::write_bytes(dir / "data_batch_2.bin", cifar_records({2, 0}));
  test::write_bytes(dir / "data_batch_10.bin", cifar_records({1}));
  test::write_bytes(dir / "data_batch_1.bin", cifar_records({0, 1, 2}));
  test::write_bytes(dir / "test_batch.bin", cifar_records({1, 0, 2, 2}));
  std::ofstream(dir / "batches.meta.txt") << "cat\ndog \nfrog\n\n";

  const ImageSet train = open_image_set(dir.string(), DataOptions{});
  EXPECT_EQ(train.labels, (std::vector<std::int32_t>{0, 1, 2, 2, 0, 1}));  // batch 1, 2, 10
  EXPECT_EQ(train.class_names, (std::vector<std::string>{"cat", "dog", "frog"}));
  EXPECT_EQ(train.height, 32);
  EXPECT_EQ(train.width, 32);
  EXPECT_EQ(train.channels, 3);
  // Image 4 is record 1 of data_batch_2: pixel 0 = (1, 101, 201), pixel 1 red = 1.
  EXPECT_EQ(train.image(4)[0], 1);
  EXPECT_EQ(train.image(4)[1], 101);
  EXPECT_EQ(train.image(4)[2], 201);
  EXPECT_EQ(train.image(3)[0], 0);
  EXPECT_EQ(train.image(3)[3], 1);

  DataOptions options;
  options.split = "test";
  options.max_per_class = 1;
  const ImageSet test = read_cifar_binary(dir.string(), options);
  EXPECT_EQ(test.labels, (std::vector<std::int32_t>{1, 0, 2}));
  EXPECT_EQ(test.image(2)[2], 202);
}

TEST(CifarBinary, RejectsBadFilesNamingThem) {
  const fs::path dir = test::scratch_dir("cifar_bin_bad");
  const DataOptions train;
  DataOptions test_split;
  test_split.split = "test";
  test::write_bytes(dir / "data_batch_1.bin", cifar_records({0, 1}));
  test::expect_bad_input([&] { read_cifar_binary(dir.string(), test_split); },
                         (dir / "test_batch.bin").string());

  auto bytes = cifar_records({0, 1});
  bytes.pop_back();  // 6145 bytes
  test::write_bytes(dir / "data_batch_2.bin", bytes);
  test::expect_bad_input([&] { open_image_set(dir.string(), train); },
                         (dir / "data_batch_2.bin").string());

  test::write_bytes(dir / "data_batch_2.bin", cifar_records({0, 5}));
  std::ofstream(dir / "batches.meta.txt") << "a\nb\n";
  test::expect_bad_input([&] { read_cifar_binary(dir.string(), train); },
                         (dir / "data_batch_2.bin").string());
}

}  // namespace
}  // namespace d2a
