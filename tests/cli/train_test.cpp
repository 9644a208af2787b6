// `d2a train` as a real process on Debian's 8x8 digits.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "d2a/data/digits.h"
#include "d2a/space/darts_published.h"
#include "data/data_test_support.h"

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
      {{"train", "--data", "digits", "--arch", kCell, "--lr", "0"},
       "--lr: must be a number above 0 (got 0)"},
      {{"train", "--data", "digits", "--arch", kCell, "--lr", "abc"},
       "--lr: must be a number above 0 (got abc)"},
  };
  for (const auto& [args, expect] : cases) {
    const auto r = run_d2a(args, "train_cli_bad");
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
  }
}

// An image folder with train/ and test/ splits of two classes of 12x12 colour PNGs.
std::filesystem::path tiny_image_folder(const std::string& name) {
  const auto root = test::scratch_dir(name);
  for (const char* split : {"train", "test"}) {
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < 6; ++i) {
        test::write_png(root / split / ("class" + std::to_string(c)) / (std::to_string(i) + ".png"),
                        12, 12, 3, 120 * c + 7 * i);
      }
    }
  }
  return root;
}

// A folder without train/ and test/: every 5th image of each class is held out for testing
// and never trained on, and the output says so; a folder too small to hold any out is refused.
TEST(TrainCommand, HoldsOutEveryFifthImageOfAFolderWithoutATestSplit) {
  const auto make = [](const std::string& name, int per_class) {
    const auto root = test::scratch_dir(name);
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < per_class; ++i) {
        test::write_png(root / ("class" + std::to_string(c)) / (std::to_string(10 + i) + ".png"),
                        12, 12, 3, 120 * c + 7 * i);
      }
    }
    return root;
  };
  const auto plain = make("train_plain_folder", 12);
  const auto r =
      run_d2a({"train", "--data", plain.string(), "--arch", kCell, "--budget", "cpu-fast",
               "--epochs", "1", "--channels", "4", "--threads", "1", "--json"},
              "train_plain_run");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["train_images"], 20);  // 10 of each class's 12
  EXPECT_EQ(j["test_images"], 4);    // its 5th and 10th
  EXPECT_NE(j["test_data"].get<std::string>().find("every 5th image of each class"),
            std::string::npos)
      << j["test_data"];
  const auto tiny = make("train_tiny_folder", 3);
  const auto e = run_d2a({"train", "--data", tiny.string(), "--arch", kCell, "--budget", "cpu-fast",
                          "--epochs", "1", "--threads", "1"},
                         "train_tiny_run");
  EXPECT_EQ(e.status, 2) << e.err;
  EXPECT_EQ(test::count_lines(e.err), 1) << e.err;
  EXPECT_NE(e.err.find("too few images to hold any out"), std::string::npos) << e.err;
}

// Photos larger than the network's input are shrunk on reading to its side (cpu-fast: 16): the
// run is the one on the same images shrunk beforehand, to the last digit of its losses.
TEST(TrainCommand, ShrinksLargeImagesToTheNetworksSideOnReading) {
  const auto large = test::scratch_dir("train_large_images");
  for (const char* split : {"train", "test"}) {
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < 4; ++i) {
        test::write_png(
            large / split / ("class" + std::to_string(c)) / (std::to_string(i) + ".png"), 48, 40, 3,
            90 * c + 13 * i);
      }
    }
  }
  const auto small = test::scratch_dir("train_large_images_shrunk");
  test::write_shrunk_copy(large, small, 16);
  const auto run = [](const std::filesystem::path& data, const std::string& name) {
    return run_d2a({"train", "--data", data.string(), "--arch", kCell, "--budget", "cpu-fast",
                    "--epochs", "2", "--channels", "4", "--threads", "1", "--seed", "3", "--json"},
                   name);
  };
  const auto from_large = run(large, "train_large_run");
  const auto from_small = run(small, "train_small_run");
  ASSERT_EQ(from_large.status, 0) << from_large.err;
  ASSERT_EQ(from_small.status, 0) << from_small.err;
  EXPECT_NE(from_large.err.find("shrank 8 of 8 images to at most 16 px a side"), std::string::npos)
      << from_large.err;
  const auto a = nlohmann::json::parse(from_large.out);
  const auto b = nlohmann::json::parse(from_small.out);
  for (const char* key : {"train_loss", "test_loss", "train_accuracy", "test_accuracy"}) {
    EXPECT_EQ(a[key], b[key]) << key;
  }
}

TEST(DartsTrainCommand, TrainsAPublishedGenotypeForOneEpochAndExports) {
  const auto data = tiny_image_folder("darts_train_data");
  const auto out = test::scratch_dir("darts_train_out");
  const auto r = run_d2a({"train", "--data", data.string(), "--arch", "DARTS_V2", "--epochs", "1",
                          "--channels", "4", "--cells", "3", "--image-size", "16", "--threads",
                          "1", "--seed", "3", "--export", (out / "darts.pt").string(), "--json"},
                         "darts_train_run");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["space"], "darts");
  EXPECT_EQ(j["arch"], find_published_darts_genotype("DARTS_V2")->str());
  EXPECT_EQ(j["budget"], "darts-600ep[epochs=1,C=4,layers=3,size=16]");  // the DARTS default
  EXPECT_EQ(j["recipe"]["recipe"]["cutout"], 16);
  EXPECT_EQ(j["train_images"], 12);
  EXPECT_EQ(j["classes"], 2);
  EXPECT_GT(j["parameters"].get<int>(), 1000);
  EXPECT_GT(j["parameters_with_auxiliary"].get<int>(), j["parameters"].get<int>());
  const double accuracy = j["test_accuracy"].get<double>();
  EXPECT_TRUE(accuracy >= 0 && accuracy <= 100) << accuracy;
  EXPECT_GT(std::filesystem::file_size(out / "darts.pt"), 1000u);
}

TEST(DartsTrainCommand, TrainsGenotypeNotationUnderAnotherBudget) {
  const auto data = tiny_image_folder("darts_train_data2");
  const std::string genotype =
      "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('avg_pool_3x3', 0), "
      "('dil_conv_3x3', 2), ('none', 1), ('max_pool_3x3', 3), ('sep_conv_5x5', 4), "
      "('skip_connect', 0)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
      "('skip_connect', 1), ('sep_conv_3x3', 2), ('dil_conv_5x5', 0), ('avg_pool_3x3', 1), "
      "('skip_connect', 3), ('sep_conv_3x3', 4), ('max_pool_3x3', 2)], reduce_concat=[4, 5])";
  const auto r = run_d2a({"train", "--data", data.string(), "--arch", genotype, "--budget",
                          "cpu-fast", "--epochs", "1", "--channels", "4", "--cells", "2",
                          "--threads", "1", "--json"},
                         "darts_train_run2");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["arch"], genotype);  // already canonical
  EXPECT_EQ(j["budget"], "cpu-fast[epochs=1,C=4,layers=2]");
}

TEST(DartsTrainCommand, BadGenotypesExitTwoWithOneLine) {
  const auto data = tiny_image_folder("darts_train_data3");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"Genotype(normal=[('sep_conv_3x3', 0)], normal_concat=[2], reduce=[], reduce_concat=[2])",
       "normal"},
      {"Genotype(normal=[('sep_conv_9x9', 0)])", "sep_conv_9x9"},
      {"DARTS_V3", "DARTS_V2"},
      {"sep_conv_3x3", "not a NAS-Bench-201 cell"},
  };
  for (const auto& [arch, expect] : bad) {
    const auto e = run_d2a({"train", "--data", data.string(), "--arch", arch}, "darts_train_bad");
    EXPECT_EQ(e.status, 2) << arch << ": " << e.err;
    EXPECT_EQ(test::count_lines(e.err), 1) << e.err;
    EXPECT_NE(e.err.find(expect), std::string::npos) << e.err;
  }
  // The DARTS recipe cannot train a NAS-Bench-201 cell: it fails before loading any data.
  const auto e = run_d2a({"train", "--data", "/no/such/folder", "--arch", kCell, "--budget",
                          "darts-600ep"},
                         "darts_train_bad");
  EXPECT_EQ(e.status, 2) << e.err;
  EXPECT_NE(e.err.find("darts-600ep"), std::string::npos) << e.err;
}

}  // namespace
}  // namespace d2a
