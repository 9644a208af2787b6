// `d2a search` as a data-parallel job of two real processes on loopback: the architecture
// weights after the search equal those of one process on the whole batches, for a first-order,
// the second-order and the Gumbel method; resuming with another number of processes is refused.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_support.h"
#include "d2a/data/digits.h"

namespace d2a {
namespace {

using test::free_port;
using test::run_d2a;
using test::run_ranks;
using test::torchrun_env;

// Two epochs of one step each (40 digits, halves of 20, batch 16); the architecture learning
// rates raised (3e-4 -> 0.05) and the PC-DARTS and MS-DARTS warm-ups off, so the alphas move far beyond
// rounding. Few steps: at such rates a search amplifies rounding, so over many steps even one
// process on 1 and on 2 threads drifts apart (5e-3 after 10 steps).
std::vector<std::string> tiny_search(const std::string& method, const std::string& out) {
  const std::string config =
      test::write_scratch_file("search_dist_config", "config.json",
                               R"({"arch": {"lr": 0.05}, "pc_darts": {"warmup_epochs": 0, "arch_lr": 0.05},)"
                               R"( "ms_darts": {"warmup_epochs": 0}})");
  std::vector<std::string> args = {
      "search", "--method", method, "--data", "digits", "--per-class", "4",
      "--channels", "4", "--cells", "1", "--image-size", "8", "--batch", "16",
      "--epochs", "2", "--config", config, "--out", out, "--threads", "1", "--seed", "3",
      "--no-plot", "--json"};
  args.insert(args.end(), {"--device", "cpu"});  // Gloo, also on a GPU machine
  return args;
}

// Every (epoch, cell type, edge, op) -> weight of a search's alphas.csv.
std::map<std::string, double> alphas(const std::string& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  std::map<std::string, double> out;
  while (std::getline(in, line)) {
    const auto last = line.rfind(',');
    out[line.substr(0, last)] = std::stod(line.substr(last + 1));
  }
  return out;
}

class SearchDistributed : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  }
};

TEST_P(SearchDistributed, TwoRanksSearchLikeOneProcessOnTheWholeBatch) {
  const std::string method = GetParam();
  const auto dir = test::scratch_dir("search_dist_" + method);
  const auto one = run_d2a(tiny_search(method, (dir / "one").string()), "search_dist_one");
  ASSERT_EQ(one.status, 0) << one.err;
  auto args = tiny_search(method, (dir / "two").string());
  args.push_back("--sync-bn");
  const int port = free_port(11 + static_cast<int>(method.size()));
  const auto ranks = run_ranks({torchrun_env(0, 2, port), torchrun_env(1, 2, port)}, args,
                               "search_dist_two_" + method);
  ASSERT_EQ(ranks[0].status, 0) << ranks[0].err;
  ASSERT_EQ(ranks[1].status, 0) << ranks[1].err;
  EXPECT_TRUE(ranks[1].out.empty()) << ranks[1].out;
  const auto j = nlohmann::json::parse(ranks[0].out);
  EXPECT_EQ(j["processes"], 2);
  EXPECT_EQ(j["genotype"], nlohmann::json::parse(one.out)["genotype"]);

  // The softmaxed op weights of every edge after every epoch (printed to 8 decimals).
  const auto a = alphas((dir / "one" / "alphas.csv").string());
  const auto b = alphas((dir / "two" / "alphas.csv").string());
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  double worst = 0;
  for (const auto& [key, value] : a) worst = std::max(worst, std::abs(value - b.at(key)));
  EXPECT_LT(worst, 1e-5) << method;
  // The alphas moved: equality is not two untouched distributions.
  double spread = 0;
  for (const auto& [key, value] : a) {
    const auto first = key.find(',');  // after epoch 0 vs after epoch 1 (0-based), same edge and op
    if (key.compare(0, first, "0") == 0) {
      const auto later = b.find("1" + key.substr(first));
      if (later != b.end()) spread = std::max(spread, std::abs(later->second - value));
    }
  }
  EXPECT_GT(spread, 1e-3) << method;
}

INSTANTIATE_TEST_SUITE_P(Methods, SearchDistributed, ::testing::Values("darts", "darts2", "pc-darts", "ms-darts",
                                                                 "stacnas", "gdas"));

TEST(SearchDistributedResume, RefusesAnotherNumberOfProcesses) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("search_dist_resume");
  const auto one = run_d2a(tiny_search("darts", (dir / "run").string()), "search_dist_resume_one");
  ASSERT_EQ(one.status, 0) << one.err;
  auto args = tiny_search("darts", (dir / "run").string());
  args.push_back("--resume");
  const int port = free_port(31);
  const auto ranks = run_ranks({torchrun_env(0, 2, port), torchrun_env(1, 2, port)}, args,
                               "search_dist_resume_two");
  for (const auto& r : ranks) {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("written by 1 process, this run has 2"), std::string::npos) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
  }
  // An odd share is refused before any work.
  auto odd = tiny_search("darts", (dir / "odd").string());
  odd[std::find(odd.begin(), odd.end(), "--batch") - odd.begin() + 1] = "15";
  const auto odd_ranks = run_ranks({torchrun_env(0, 2, port + 1), torchrun_env(1, 2, port + 1)},
                                   odd, "search_dist_odd");
  EXPECT_EQ(odd_ranks[0].status, 2) << odd_ranks[0].err;
  EXPECT_NE(odd_ranks[0].err.find("--batch"), std::string::npos) << odd_ranks[0].err;
}

}  // namespace
}  // namespace d2a
