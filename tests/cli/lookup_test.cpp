// `d2a lookup` run as a user runs it: the real binary, its exit status and both streams.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"
#include "d2a/space/nb201_graph.h"

namespace d2a {
namespace {

// The CIFAR-10 optimum of the 200-epoch table (shared/data/README.md).
constexpr const char* kBestCifar10 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
    "nor_conv_1x1~2|";

std::string table(const char* file) { return test::nb201_table(file).string(); }

TEST(LookupCli, Index6111PrintsTheCifar10Optimum) {
  D2A_REQUIRE_FILE(test::nb201_table("nb201_test_acc_200ep.csv"));
  const auto r = test::run_d2a(
      {"lookup", "--bench", table("nb201_test_acc_200ep.csv"), "--arch", "6111", "--dataset",
       "cifar10"},
      "lookup_human");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("cifar10-test:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("94.37  (rank 1 of 15625)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(kBestCifar10), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cifar100-test"), std::string::npos) << "--dataset cifar10 only\n" << r.out;
}

TEST(LookupCli, JsonHasTheFieldsAndTheIndexAndStringFormsAgree) {
  D2A_REQUIRE_FILE(test::nb201_table("nb201_test_acc_200ep.csv"));
  const auto by_index = test::run_d2a(
      {"lookup", "--bench", table("nb201_test_acc_200ep.csv"), "--arch", "6111", "--json"},
      "lookup_json_index");
  const auto by_string = test::run_d2a(
      {"lookup", "--bench", table("nb201_test_acc_200ep.csv"), "--arch", kBestCifar10, "--json"},
      "lookup_json_string");
  ASSERT_EQ(by_index.status, 0) << by_index.err;
  ASSERT_EQ(by_string.status, 0) << by_string.err;
  const auto j = nlohmann::json::parse(by_index.out);
  EXPECT_EQ(j, nlohmann::json::parse(by_string.out));

  const Nb201Cell cell = Nb201Cell::parse(kBestCifar10);
  const auto& eq = Nb201Equivalence::instance();
  const int cls = eq.class_of(cell);
  EXPECT_EQ(j["table"], "test_acc_200ep");
  EXPECT_EQ(j["benchmark_index"], 6111);
  EXPECT_EQ(j["arch"], kBestCifar10);
  EXPECT_EQ(j["equivalence_class"], cls);
  EXPECT_EQ(j["equivalence_key"], nb201_equivalence_key(cell));
  EXPECT_EQ(j["class_size"], eq.members(cls).size());
  EXPECT_EQ(j["class_benchmark_indices"].size(), eq.members(cls).size());
  EXPECT_NEAR(j["network"]["mflops"].get<double>(), nb201_network_cost(cell).flops / 1e6, 1e-9);
  EXPECT_NEAR(j["network"]["mparams"].get<double>(), nb201_network_cost(cell).params / 1e6, 1e-9);
  // No --dataset: every dataset of the table, each with its rank.
  ASSERT_EQ(j["values"].size(), 3u);
  EXPECT_NEAR(j["values"]["cifar10-test"].get<double>(), 94.3733, 1e-3);
  EXPECT_NEAR(j["values"]["cifar100-test"].get<double>(), 73.22, 1e-2);
  EXPECT_EQ(j["ranks"]["cifar10-test"], 1);
  EXPECT_GT(j["ranks"]["imagenet16-120-test"].get<int>(), 1);  // 857 is ImageNet's best
  EXPECT_EQ(j["rank_of"], 15625);
  EXPECT_EQ(j["seed"], 0);
}

TEST(LookupCli, LatencyTableGivesItsColumnsWithMissingAsNull) {
  D2A_REQUIRE_FILE(test::nb201_table("nb201_hw_latency_cifar10.csv"));
  // Index 6 has no edgetpu measurement (-1 in the file).
  const auto r = test::run_d2a(
      {"lookup", "--bench", table("nb201_hw_latency_cifar10.csv"), "--arch", "6", "--json"},
      "lookup_latency");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["table"], "hw_latency_cifar10");
  EXPECT_EQ(j["benchmark_index"], 6);
  EXPECT_EQ(j["values"].size(), 10u);
  EXPECT_TRUE(j["values"]["edgetpu_latency"].is_null()) << j.dump();
  EXPECT_GT(j["values"]["fpga_latency"].get<double>(), 0.0);
  EXPECT_TRUE(j["ranks"].is_null());
}

// Bad input: exit 2, nothing on stdout, one line on stderr that names the problem.
void expect_bad_input(const std::vector<std::string>& args, const std::string& needle,
                      const std::string& name) {
  const auto r = test::run_d2a(args, name);
  EXPECT_EQ(r.status, 2) << name << ": " << r.err;
  EXPECT_EQ(r.out, "") << name;
  EXPECT_EQ(test::count_lines(r.err), 1) << name << ": " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << name << ": " << r.err;
}

TEST(LookupCli, BadInputsExitTwoWithOneLine) {
  D2A_REQUIRE_FILE(test::nb201_table("nb201_test_acc_200ep.csv"));
  D2A_REQUIRE_FILE(test::nb201_table("nb201_zero_cost_proxies_cifar10.csv"));
  const std::string acc = table("nb201_test_acc_200ep.csv");
  const auto missing = test::scratch_dir("lookup_missing") / "absent.csv";
  expect_bad_input({"lookup", "--bench", missing.string(), "--arch", "0"},
                   "absent.csv: cannot open file", "missing_file");
  expect_bad_input({"lookup", "--bench", D2A_SOURCE_DIR "/CMakeLists.txt", "--arch", "0"},
                   "not a known NAS-Bench-201 table", "not_a_table");
  expect_bad_input({"lookup", "--bench", acc, "--arch", "|nor_conv_5x5~0|+|none~0|"},
                   "--arch '|nor_conv_5x5~0|+|none~0|': unknown NAS-Bench-201 op 'nor_conv_5x5'",
                   "bad_cell");
  expect_bad_input({"lookup", "--bench", acc, "--arch", "|none~0|+|none~0|"},
                   "cannot parse NAS-Bench-201 cell '|none~0|+|none~0|'", "short_cell");
  expect_bad_input({"lookup", "--bench", acc, "--arch", "15625"},
                   "--arch 15625: benchmark index outside [0, 15625)", "index_out_of_range");
  expect_bad_input({"lookup", "--bench", acc, "--arch", "0", "--dataset", "cifar11"},
                   "unknown dataset 'cifar11'", "unknown_dataset");
  // Benchmark index 3 is one of the 6,180 cells the proxies table does not cover.
  expect_bad_input(
      {"lookup", "--bench", table("nb201_zero_cost_proxies_cifar10.csv"), "--arch", "3"},
      "(benchmark index 3) is not in this table: it covers 9445 of the 15625 cells",
      "absent_from_proxies");
}

}  // namespace
}  // namespace d2a
