#include "d2a/data/open_image_set.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "d2a/error.h"
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

// A folder without a test split: every 5th image of each class tests, the rest train, each part
// capped per class; where a class runs short the parts are what it has.
TEST(OpenImageSet, HoldsOutEveryFifthImageOfEachClass) {
  ImageSet set;
  set.class_names = {"a", "b"};
  set.channels = set.height = set.width = 1;
  // Class a at even positions (12 images), class b at odd ones (6 images), then 6 more of a.
  for (int i = 0; i < 24; ++i) {
    set.labels.push_back(i < 12 ? i % 2 : 0);
    set.pixels.push_back(static_cast<std::uint8_t>(i));
  }
  const HoldOut all = hold_out_every(set, 5, 0, 0);
  // a (0 2 4 6 8 10 12 13 ... 23): its 5th, 10th and 15th images are at 8, 15 and 20; b's 5th at 9.
  EXPECT_EQ(all.test, (std::vector<std::size_t>{8, 9, 15, 20}));
  EXPECT_EQ(all.train.size() + all.test.size(), set.size());
  for (std::size_t i : all.test) {
    EXPECT_EQ(std::count(all.train.begin(), all.train.end(), i), 0) << i;
  }
  const HoldOut capped = hold_out_every(set, 5, 3, 1);
  EXPECT_EQ(capped.train, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(capped.test, (std::vector<std::size_t>{8, 9}));
  EXPECT_THROW(hold_out_every(set, 1, 0, 0), Error);
}

// Reading hold_out_read_cap images of a class is exactly enough for both caps.
TEST(OpenImageSet, HoldOutReadCapIsTheFewestImagesThatFillBothCaps) {
  EXPECT_EQ(hold_out_read_cap(5, 0, 20), 0u);
  EXPECT_EQ(hold_out_read_cap(5, 50, 0), 0u);
  for (std::size_t train = 1; train <= 30; ++train) {
    for (std::size_t test = 1; test <= 10; ++test) {
      const std::size_t n = hold_out_read_cap(5, train, test);
      const auto parts_of = [&](std::size_t images) {
        ImageSet set;
        set.class_names = {"a"};
        set.labels.assign(images, 0);
        return hold_out_every(set, 5, train, test);
      };
      const HoldOut parts = parts_of(n);
      EXPECT_EQ(parts.train.size(), train) << train << " " << test;
      EXPECT_EQ(parts.test.size(), test) << train << " " << test;
      const HoldOut fewer = parts_of(n - 1);
      EXPECT_TRUE(fewer.train.size() < train || fewer.test.size() < test) << train << " " << test;
    }
  }
}

TEST(OpenImageSet, SaysWhichSourcesHaveATestSplit) {
  const fs::path plain = test::scratch_dir("split_plain");
  const fs::path split = test::scratch_dir("split_split");
  for (int c = 0; c < 2; ++c) {
    test::write_png(plain / ("c" + std::to_string(c)) / "0.png", 4, 4, 1);
    test::write_png(split / "train" / ("c" + std::to_string(c)) / "0.png", 4, 4, 1);
  }
  EXPECT_FALSE(has_test_split(plain.string()));
  EXPECT_TRUE(has_test_split(split.string()));
  EXPECT_TRUE(has_test_split("digits"));
  EXPECT_TRUE(has_test_split("fashion-mnist"));
  EXPECT_TRUE(has_test_split((plain / "absent").string()));  // opening it says what is wrong
}

}  // namespace
}  // namespace d2a
