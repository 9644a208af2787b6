// `d2a suggest` as a real process on a tiny image folder with a tiny random meta-model saved by
// the test: what it prints must be valid, distinct, sorted, within the limits and reproducible;
// every bad input is one line and exit status 2.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli_support.h"
#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"
#include "d2a/space/nb201_graph.h"
#include "d2a/words.h"
#include "data/data_test_support.h"
#include "meta/tiny_meta_model.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;
using test::run_d2a;

constexpr int kClasses = 3;

class SuggestCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(test::scratch_dir("suggest_cli_fixture"));
    test::write_noise_image_folder(*root_ / "images", kClasses, 8);
    test::save_tiny_meta_model(*root_ / "model");
    top20_ = new nlohmann::json(run_json({"--top", "20"}, "suggest_top20"));
  }
  static void TearDownTestSuite() {
    delete root_;
    delete top20_;
    root_ = nullptr;
    top20_ = nullptr;
  }
  static std::string images() { return (*root_ / "images").string(); }
  static std::string model() { return (*root_ / "model").string(); }
  static std::vector<std::string> base_args() {
    return {"suggest", "--data", images(), "--model", model(), "--samples", "300", "--draws",
            "3", "--threads", "1", "--seed", "7"};
  }
  static std::vector<std::string> with(std::vector<std::string> args,
                                       const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  // Runs and parses --json output; fails the test on a non-zero exit.
  static nlohmann::json run_json(const std::vector<std::string>& extra, const std::string& name) {
    const auto r = run_d2a(with(with(base_args(), extra), {"--json"}), name);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
  }
  static void expect_bad_input(const std::vector<std::string>& args, const std::string& needle,
                               const std::string& name) {
    const auto r = run_d2a(args, name);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  static fs::path* root_;
  static nlohmann::json* top20_;  // the default ranking, --top 20, shared by several tests
};
fs::path* SuggestCommand::root_ = nullptr;
nlohmann::json* SuggestCommand::top20_ = nullptr;

TEST_F(SuggestCommand, SuggestsDistinctValidCellsSortedByScoreWithTheirCost) {
  const nlohmann::json& out = *top20_;
  ASSERT_TRUE(out.contains("suggestions"));
  const auto& suggestions = out["suggestions"];
  ASSERT_GE(out["counts"]["classes_ranked"].get<int>(), 20);
  ASSERT_EQ(suggestions.size(), 20u);
  EXPECT_EQ(out["classes"], kClasses);
  EXPECT_EQ(out["seed"], 7);
  EXPECT_EQ(out["counts"]["candidates"], 300);
  EXPECT_LE(out["counts"]["distinct_cells"].get<int>(), 300);
  EXPECT_EQ(out["images_per_class"], 5);  // the tiny model's n
  Nb201MacroConfig network;
  network.num_classes = kClasses;
  std::set<int> classes;
  double previous = 1e300;
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    const auto& s = suggestions[i];
    EXPECT_EQ(s["rank"], i + 1);
    const Nb201Cell cell = Nb201Cell::parse(s["arch"].get<std::string>());
    EXPECT_FALSE(nb201_is_disconnected(cell)) << cell.str();
    const int id = Nb201Equivalence::instance().class_of(cell);
    EXPECT_EQ(s["equivalence_class"], id);
    EXPECT_EQ(s["equivalence_key"], nb201_equivalence_key(cell));
    EXPECT_TRUE(classes.insert(id).second) << "class " << id << " suggested twice";
    const double score = s["score"].get<double>();
    EXPECT_LE(score, previous);
    previous = score;
    EXPECT_NEAR(s["predicted_accuracy"].get<double>(), score * 10 + 70, 1e-6);
    const NetworkCost cost = nb201_network_cost(cell, network);
    EXPECT_NEAR(s["mflops"].get<double>(), cost.flops / 1e6, 1e-9);
    EXPECT_NEAR(s["mparams"].get<double>(), cost.params / 1e6, 1e-9);
    EXPECT_TRUE(s["naswot"].is_null());
  }
}

TEST_F(SuggestCommand, SameSeedSameSuggestions) {
  const nlohmann::json again = run_json({"--top", "20"}, "suggest_seed_again");
  EXPECT_EQ(again["suggestions"], (*top20_)["suggestions"]);
  EXPECT_EQ(again["counts"], (*top20_)["counts"]);
}

TEST_F(SuggestCommand, HumanOutputListsKRanks) {
  const auto r = run_d2a(with(base_args(), {"--top", "4"}), "suggest_human");
  ASSERT_EQ(r.status, 0) << r.err;
  int rank_lines = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0])) &&
        line.find("|+|") != std::string::npos) {
      ++rank_lines;
    }
  }
  EXPECT_EQ(rank_lines, 4) << r.out;
  // The last line is the command that trains the first suggestion, ready to paste.
  const nlohmann::json& first = (*top20_)["suggestions"][0];
  EXPECT_NE(r.out.find("\nnext:       " + shell_word(D2A_EXECUTABLE) + " train --data " +
                       shell_word(images()) + " --arch '" + first["arch"].get<std::string>() +
                       "' --budget cpu-user"),
            std::string::npos)
      << r.out;
}

TEST_F(SuggestCommand, HonoursTheFlopsAndParamsLimits) {
  const nlohmann::json& free = *top20_;
  ASSERT_GE(free["suggestions"].size(), 3u);
  // A limit below the free winner's cost but above the cheapest free suggestion.
  double lowest = 1e300;
  for (const auto& s : free["suggestions"]) lowest = std::min(lowest, s["mflops"].get<double>());
  const double top_flops = free["suggestions"][0]["mflops"].get<double>();
  ASSERT_LT(lowest, top_flops) << "the free ranking has no cheaper alternative to test with";
  const double limit = (lowest + top_flops) / 2;
  const nlohmann::json capped =
      run_json({"--top", "20", "--max-flops", std::to_string(limit) + "M", "--max-params", "2M"},
               "suggest_capped");
  ASSERT_FALSE(capped["suggestions"].empty());
  EXPECT_GT(capped["counts"]["over_limits"].get<int>(), 0);
  for (const auto& s : capped["suggestions"]) {
    EXPECT_LE(s["mflops"].get<double>(), limit);
    EXPECT_LE(s["mparams"].get<double>(), 2.0);
  }
  // Nothing fits: a bad-input line naming the cheapest candidate.
  expect_bad_input(with(base_args(), {"--max-flops", "1k"}), "no candidate within the limits",
                   "suggest_nothing_fits");
}

TEST_F(SuggestCommand, RanksTheWholeSpaceAndWritesEveryScore) {
  const fs::path scores = test::scratch_dir("suggest_all_scores") / "scores.csv";
  const nlohmann::json out = run_json({"--all", "--top", "3", "--scores-out", scores.string()},
                                      "suggest_all");
  EXPECT_EQ(out["mode"], "whole-space");
  EXPECT_EQ(out["counts"]["candidates"], kNb201NumCells);
  EXPECT_EQ(out["counts"]["distinct_cells"], kNb201NumCells);
  std::ifstream in(scores);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("arch,dense_index,equivalence_class,", 0), 0u) << line;
  std::set<std::string> archs;
  while (std::getline(in, line)) archs.insert(line.substr(0, line.find(',')));
  EXPECT_EQ(archs.size(), static_cast<std::size_t>(kNb201NumCells));
}

TEST_F(SuggestCommand, NaswotBlendReranksTheTopClasses) {
  const nlohmann::json out =
      run_json({"--top", "6", "--blend-naswot", "0.5", "--naswot-top", "6", "--naswot-batch", "6"},
               "suggest_naswot");
  ASSERT_EQ(out["suggestions"].size(), 6u);
  EXPECT_EQ(out["naswot"]["weight"], 0.5);
  double previous = 1e300;
  for (const auto& s : out["suggestions"]) {
    ASSERT_TRUE(s["naswot"].is_number()) << s.dump();
    ASSERT_TRUE(s["blended"].is_number()) << s.dump();
    EXPECT_LE(s["blended"].get<double>(), previous);
    previous = s["blended"].get<double>();
  }
}

// Photos larger than anything suggest reads are shrunk on reading to the side it uses (the
// extractor's and the cost network's 32): the answer is that of the same images shrunk
// beforehand, to the last digit, for the features and for NASWOT.
TEST_F(SuggestCommand, ShrinksLargeImagesToTheSideItUsesOnReading) {
  const fs::path large = test::scratch_dir("suggest_large_images");
  test::write_noise_image_folder(large, kClasses, 8, 64, 11);
  const fs::path small = test::scratch_dir("suggest_large_images_shrunk");
  test::write_shrunk_copy(large, small, 32);
  const std::vector<std::string> args = {
      "--model",        model(), "--samples",      "100", "--draws",      "2",
      "--top",          "5",     "--blend-naswot", "0.5", "--naswot-top", "5",
      "--naswot-batch", "6",     "--threads",      "1",   "--json"};
  std::vector<std::string> on_large = {"suggest", "--data", large.string()};
  std::vector<std::string> on_small = {"suggest", "--data", small.string()};
  on_large.insert(on_large.end(), args.begin(), args.end());
  on_small.insert(on_small.end(), args.begin(), args.end());
  const auto from_large = run_d2a(on_large, "suggest_large_run");
  const auto from_small = run_d2a(on_small, "suggest_small_run");
  ASSERT_EQ(from_large.status, 0) << from_large.err;
  ASSERT_EQ(from_small.status, 0) << from_small.err;
  EXPECT_NE(from_large.err.find("shrank 24 of 24 images to at most 32 px a side"),
            std::string::npos)
      << from_large.err;
  EXPECT_EQ(from_small.err.find("shrank"), std::string::npos) << from_small.err;
  const auto a = nlohmann::json::parse(from_large.out)["suggestions"];
  const auto b = nlohmann::json::parse(from_small.out)["suggestions"];
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a, b);
}

TEST_F(SuggestCommand, FindsTheDefaultModelThroughTheEnvironment) {
  const fs::path models = test::scratch_dir("suggest_models_env");
  fs::copy(model(), models / "d2a-meta-v3", fs::copy_options::recursive);
  ::setenv("D2A_MODELS_DIR", models.string().c_str(), 1);
  const auto found = run_d2a({"suggest", "--data", images(), "--samples", "50", "--draws", "2",
                              "--threads", "1", "--json"},
                             "suggest_env_found");
  ::setenv("D2A_MODELS_DIR", (models / "nowhere").string().c_str(), 1);
  const auto missing = run_d2a({"suggest", "--data", images(), "--threads", "1"},
                               "suggest_env_missing");
  ::unsetenv("D2A_MODELS_DIR");
  EXPECT_EQ(found.status, 0) << found.err;
  EXPECT_NE(found.out.find("d2a-meta-v3"), std::string::npos);
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("d2a-meta-v3"), std::string::npos) << missing.err;
  EXPECT_EQ(test::count_lines(missing.err), 1) << missing.err;
}

// The JSON says how the ranking was made; a model without a prior refuses --residual-weight.
TEST_F(SuggestCommand, ReportsTheRankingAndRefusesAResidualWeightWithoutAPrior) {
  EXPECT_EQ((*top20_)["ranking"], (nlohmann::json{{"prior", false}}));
  expect_bad_input(with(base_args(), {"--residual-weight", "0.5"}), "--residual-weight",
                   "suggest_residual_no_prior");
}

TEST_F(SuggestCommand, TargetDeviceBoundsAndParetoSet) {
  const auto table = test::nb201_table("nb201_hw_latency_cifar10.csv");
  D2A_REQUIRE_FILE(table);
  const std::vector<std::string> target = {"--target", "edgegpu", "--latency-table", table.string()};
  const nlohmann::json free = run_json(with(target, {"--top", "50", "--pareto"}), "suggest_edgegpu");
  ASSERT_EQ(free["target"]["device"], "edgegpu");
  std::vector<double> latencies;
  for (const auto& s : free["suggestions"]) latencies.push_back(s["latency_ms"].get<double>());
  std::sort(latencies.begin(), latencies.end());
  const double bound = latencies[latencies.size() / 2];
  // The Pareto set: no suggestion beats a member in both score and latency.
  int members = 0;
  for (const auto& a : free["suggestions"]) {
    if (!a["pareto"].get<bool>()) continue;
    ++members;
    for (const auto& b : free["suggestions"]) {
      EXPECT_FALSE(b["score"].get<double>() > a["score"].get<double>() &&
                   b["latency_ms"].get<double>() < a["latency_ms"].get<double>());
    }
  }
  EXPECT_GE(members, 1);
  // With a bound the whole space is ranked and every suggestion meets it.
  const nlohmann::json bounded = run_json(
      with(target, {"--top", "20", "--max-latency-ms", std::to_string(bound), "--max-energy-mj", "1000"}),
      "suggest_edgegpu_bound");
  EXPECT_EQ(bounded["mode"], "whole-space");
  ASSERT_EQ(bounded["suggestions"].size(), 20u);
  for (const auto& s : bounded["suggestions"]) {
    EXPECT_LE(s["latency_ms"].get<double>(), bound);
    EXPECT_LE(s["energy_mj"].get<double>(), 1000.0);
  }
  expect_bad_input(with(with(base_args(), target), {"--max-latency-ms", "0.001"}),
                   "the fastest of the", "suggest_bound_unmet");
  expect_bad_input(with(base_args(), {"--target", "phone"}), "unknown --target 'phone'",
                   "suggest_bad_target");
  expect_bad_input(with(base_args(), {"--max-latency-ms", "3"}), "need --target",
                   "suggest_bound_without_target");
  expect_bad_input(with(base_args(), {"--target", "raspi4", "--latency-table", table.string(),
                                      "--max-energy-mj", "3"}),
                   "no energy figures", "suggest_energy_raspi");
  const fs::path bad_table = test::scratch_dir("suggest_bad_latency") / "latency.csv";
  std::ofstream(bad_table) << "net,edgegpu_latency\n(4, 3, 3, 0, 0, 0),abc\n";
  expect_bad_input(with(base_args(), {"--target", "edgegpu", "--latency-table", bad_table.string()}),
                   bad_table.string(), "suggest_bad_latency_table");
}

TEST_F(SuggestCommand, TargetCpuTimesTheBestCellsOnceAndCachesThem) {
  const fs::path cache = test::scratch_dir("suggest_cpu_latency") / "latency.json";
  const std::vector<std::string> args = {"--target", "cpu", "--measure-top", "3", "--top", "5",
                                         "--latency-batch", "4", "--latency-cache", cache.string()};
  const nlohmann::json first = run_json(args, "suggest_cpu_first");
  ASSERT_TRUE(fs::exists(cache));
  EXPECT_EQ(first["target"]["measured"]["timed"], 6);  // 3 cells x (batch 1, batch 4)
  // Up to 5 forwards at batch 1 and 3 at batch 4 per cell, at least 3 and 2 (early_median).
  const int forwards = first["target"]["measured"]["forwards"].get<int>();
  EXPECT_GE(forwards, 3 * (3 + 2));
  EXPECT_LE(forwards, 3 * (5 + 3));
  const auto& s = first["suggestions"];
  for (int i = 0; i < 3; ++i) {
    EXPECT_GT(s[i]["latency_ms"].get<double>(), 0.0);
    EXPECT_GT(s[i]["latency_batch_ms"].get<double>(), 0.0);
  }
  EXPECT_TRUE(s[3]["latency_ms"].is_null());  // not among the timed
  const nlohmann::json second = run_json(args, "suggest_cpu_second");
  EXPECT_EQ(second["target"]["measured"]["timed"], 0);
  EXPECT_EQ(second["target"]["measured"]["from_cache"], 6);
  EXPECT_EQ(second["suggestions"][0]["latency_ms"], s[0]["latency_ms"]);
  std::vector<std::string> every = args;
  every.back() = "none";  // no cache, and every planned forward timed
  every.insert(every.end(), {"--latency-tolerance", "0"});
  const nlohmann::json third = run_json(every, "suggest_cpu_every_forward");
  EXPECT_EQ(third["target"]["measured"]["forwards"], 3 * (5 + 3));
}

TEST_F(SuggestCommand, RefusesBadInputWithOneLine) {
  const std::string missing_model = (*root_ / "no_such_model").string();
  expect_bad_input({"suggest", "--data", images(), "--model", missing_model}, missing_model,
                   "suggest_bad_model");

  const fs::path corrupt = test::scratch_dir("suggest_corrupt_model") / "model";
  fs::copy(model(), corrupt, fs::copy_options::recursive);
  std::ofstream(corrupt / "predictor" / "weights.pt", std::ios::trunc) << "not a torch archive";
  expect_bad_input({"suggest", "--data", images(), "--model", corrupt.string()}, "weights.pt",
                   "suggest_corrupt");

  const fs::path one_class = test::scratch_dir("suggest_one_class") / "images";
  test::write_noise_image_folder(one_class, 1, 4);
  expect_bad_input({"suggest", "--data", one_class.string(), "--model", model()}, "at least 2",
                   "suggest_one_class_run");

  expect_bad_input({"suggest", "--data", images(), "--model", model(), "--top", "0"}, "--top",
                   "suggest_top0");
  const std::string no_data = (*root_ / "no_such_images").string();
  expect_bad_input({"suggest", "--data", no_data, "--model", model()}, no_data,
                   "suggest_bad_spec");
  expect_bad_input({"suggest", "--data", images(), "--model", model(), "--max-flops", "lots"},
                   "--max-flops", "suggest_bad_flops");
  expect_bad_input({"suggest", "--data", images(), "--model", model(), "--blend-naswot", "1.5"},
                   "--blend-naswot", "suggest_bad_blend");
}

}  // namespace
}  // namespace d2a
