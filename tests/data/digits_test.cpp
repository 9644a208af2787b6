#include "d2a/data/digits.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "d2a/data/open_image_set.h"
#include "data_test_support.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;

TEST(Digits, ReadsSklearnDigitsWithAFixedSplit) {
  D2A_REQUIRE_FILE(fs::path(kSklearnDigitsPath));
  const ImageSet train = open_image_set("digits", DataOptions{});
  DataOptions options;
  options.split = "test";
  const ImageSet test = open_image_set("digits", options);
  EXPECT_EQ(train.size() + test.size(), 1797u);
  EXPECT_EQ(train.size(), 1442u);
  EXPECT_EQ(test.size(), 355u);
  EXPECT_EQ(train.height, 8);
  EXPECT_EQ(train.width, 8);
  EXPECT_EQ(train.channels, 1);
  EXPECT_EQ(train.class_names.size(), 10u);
  const auto train_counts = class_counts(train), test_counts = class_counts(test);
  for (std::size_t c = 0; c < 10; ++c) {
    const std::size_t total = train_counts[c] + test_counts[c];
    EXPECT_EQ(test_counts[c], total / 5) << "class " << c;  // every 5th image is test
  }
  // The first sklearn digit is a 0 whose row 0 reads 0,0,5,13,9,1,0,0 (scaled by 255/16).
  EXPECT_EQ(train.labels[0], 0);
  EXPECT_EQ(train.image(0)[2], 80);   // round(5 * 255 / 16)
  EXPECT_EQ(train.image(0)[3], 207);  // round(13 * 255 / 16)
  const auto max = *std::max_element(train.pixels.begin(), train.pixels.end());
  EXPECT_EQ(max, 255);
}

TEST(Digits, RejectsMalformedLinesNamingTheFileAndLine) {
  const fs::path dir = test::scratch_dir("digits_bad");
  std::string good;
  for (int i = 0; i < 64; ++i) good += "16,";
  std::ofstream(dir / "short.csv") << good << "1\n"
                                   << "1,2,3\n";
  test::expect_bad_input([&] { open_image_set((dir / "short.csv").string(), DataOptions{}); },
                         (dir / "short.csv").string() + ":2");
  std::ofstream(dir / "range.csv") << good << "1\n" << good << "12\n";
  test::expect_bad_input([&] { read_digits_csv((dir / "range.csv").string(), DataOptions{}); },
                         (dir / "range.csv").string() + ":2");
  test::expect_bad_input([&] { read_digits_csv((dir / "none.csv").string(), DataOptions{}); },
                         (dir / "none.csv").string());
}

}  // namespace
}  // namespace d2a
