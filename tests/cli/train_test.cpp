// `d2a train` as a real process on Debian's 8x8 digits.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "d2a/data/digits.h"

namespace d2a {
namespace {

using test::run_d2a;

constexpr const char* kCell =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|none~2|";

TEST(TrainCommand, TrainsEvaluatesAndExports) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("train_cli");
  const auto r = run_d2a({"train", "--data", "digits", "--arch", kCell, "--budget", "cpu-fast",
                          "--epochs", "12", "--no-flip", "--threads", "1", "--seed", "4",
                          "--export", (dir / "net.pt").string(), "--json"},
                         "train_cli_run");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["arch"], kCell);
  EXPECT_EQ(j["budget"], "cpu-fast[epochs=12,noflip]");  // overrides rename the budget
  EXPECT_EQ(j["classes"], 10);
  EXPECT_EQ(j["train_images"], 500);  // cpu-fast: 50 per class
  EXPECT_GT(j["test_accuracy"].get<double>(), 50.0);  // chance is 10%
  EXPECT_GT(j["images_per_second"].get<double>(), 0.0);
  EXPECT_TRUE(std::filesystem::file_size(dir / "net.pt") > 1000);
}

TEST(TrainCommand, BadInputExitsTwoWithOneLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"train", "--data", "digits", "--arch", "|nope~0|"}, "nope"},
      {{"train", "--data", "/no/such/folder", "--arch", kCell}, "/no/such/folder"},
      {{"train", "--data", "digits", "--arch", kCell, "--budget", "gpu-huge"}, "gpu-huge"},
      {{"train", "--data", "digits", "--arch", kCell, "--epochs", "0"}, "--epochs"},
  };
  for (const auto& [args, expect] : cases) {
    const auto r = run_d2a(args, "train_cli_bad");
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace d2a
