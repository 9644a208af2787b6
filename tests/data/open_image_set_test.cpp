#include "d2a/data/open_image_set.h"

#include <gtest/gtest.h>

#include "data_test_support.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;

TEST(OpenImageSet, RejectsMissingPathsFilesAndSplits) {
  const fs::path dir = test::scratch_dir("open_bad");
  const DataOptions options;
  test::expect_bad_input([&] { open_image_set((dir / "absent").string(), options); },
                         (dir / "absent").string());
  test::expect_bad_input([&] { open_image_set("cifar-11", options); }, "cifar-11");
  test::write_bytes(dir / "image.png", {1, 2, 3});
  test::expect_bad_input([&] { open_image_set((dir / "image.png").string(), options); },
                         (dir / "image.png").string());
  DataOptions bad_split;
  bad_split.split = "val";
  test::expect_bad_input([&] { open_image_set(dir.string(), bad_split); }, "split 'val'");
}

TEST(OpenImageSet, KeepsTheFirstImagesOfEachClass) {
  ImageSet set;
  set.class_names = {"a", "b"};
  set.channels = set.height = set.width = 1;
  set.labels = {1, 0, 1, 1, 0};
  set.pixels = {10, 11, 12, 13, 14};
  EXPECT_EQ(first_per_class(set, 2), (std::vector<std::size_t>{0, 1, 2, 4}));
  EXPECT_EQ(first_per_class(set, 0).size(), 5u);
  const ImageSet sub = subset(set, {3, 1});
  EXPECT_EQ(sub.pixels, (std::vector<std::uint8_t>{13, 11}));
  EXPECT_EQ(sub.labels, (std::vector<std::int32_t>{1, 0}));
  EXPECT_EQ(class_counts(set), (std::vector<std::size_t>{2, 3}));
}

}  // namespace
}  // namespace d2a
