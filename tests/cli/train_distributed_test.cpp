// `d2a train` as a data-parallel job of real processes on loopback (Gloo over 127.0.0.1), as
// torchrun would start them: the all-reduce checked against one process on the whole batch, a
// rank that dies, and bad rendezvous variables.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "d2a/data/digits.h"
#include "d2a/nn/network_export.h"

namespace d2a {
namespace {

using test::run_d2a;
using test::shell_quote;

constexpr const char* kCell =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|none~2|";

// A port of its own per test process, away from torchrun's default 29500.
int free_port(int offset) { return 20000 + (static_cast<int>(getpid()) * 7 + offset) % 9000; }

struct RankResult {
  int status = -1;
  std::string out, err;
  double seconds = 0;
};

// Starts one d2a per entry of `prefixes` (a shell prefix per rank: env variables, `timeout`)
// with the same `args`, concurrently, and waits for all of them.
std::vector<RankResult> run_ranks(const std::vector<std::string>& prefixes,
                                  const std::vector<std::string>& args, const std::string& name) {
  const auto dir = test::scratch_dir(name);
  std::string command;
  for (std::size_t r = 0; r < prefixes.size(); ++r) {
    const std::string base = (dir / ("rank" + std::to_string(r))).string();
    std::string d2a = prefixes[r] + " " + shell_quote(D2A_EXECUTABLE);
    for (const auto& a : args) d2a += " " + shell_quote(a);
    command += "( s=$(date +%s%N); " + d2a + " >" + shell_quote(base + ".out") + " 2>" +
               shell_quote(base + ".err") + " </dev/null; st=$?; e=$(date +%s%N); " +
               "echo \"$st $(( (e - s) / 1000000 ))\" >" + shell_quote(base + ".status") +
               " ) & ";
  }
  command += "wait";
  std::system(("sh -c " + shell_quote(command)).c_str());
  std::vector<RankResult> results(prefixes.size());
  for (std::size_t r = 0; r < prefixes.size(); ++r) {
    const std::string base = (dir / ("rank" + std::to_string(r))).string();
    std::istringstream status(test::read_text(base + ".status"));
    double milliseconds = 0;
    status >> results[r].status >> milliseconds;
    results[r].seconds = milliseconds / 1000;
    results[r].out = test::read_text(base + ".out");
    results[r].err = test::read_text(base + ".err");
  }
  return results;
}

std::string torchrun_env(int rank, int world, int port) {
  return "env RANK=" + std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
         " WORLD_SIZE=" + std::to_string(world) + " MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
         std::to_string(port);
}

// Largest difference between two exported networks' tensors (parameters, then floating-point
// buffers), relative to the largest magnitude among that kind's tensors, with the worst's name.
std::pair<double, std::string> relative_difference(const std::string& a, const std::string& b) {
  const auto na = load_exported_network(a).network;
  const auto nb = load_exported_network(b).network;
  std::pair<double, std::string> worst{0.0, ""};
  auto compare = [&](const torch::OrderedDict<std::string, torch::Tensor>& xa,
                     const torch::OrderedDict<std::string, torch::Tensor>& xb) {
    double scale = 1e-12;
    for (const auto& item : xa) {
      if (item.value().is_floating_point()) {
        scale = std::max(scale, item.value().abs().max().item<double>());
      }
    }
    for (const auto& item : xa) {
      if (!item.value().is_floating_point()) continue;
      const double diff = (item.value() - xb[item.key()]).abs().max().item<double>() / scale;
      if (diff > worst.first) worst = {diff, item.key()};
    }
  };
  compare(na->named_parameters(), nb->named_parameters());
  compare(na->named_buffers(), nb->named_buffers());
  return worst;
}

class TrainDistributed : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  }
  // 500 digits, batch 64: 8 steps an epoch, the last of 52 images.
  std::vector<std::string> train_args(const std::string& export_path, int epochs) const {
    return {"train", "--data", "digits", "--arch", kCell, "--budget", "cpu-fast", "--epochs",
            std::to_string(epochs), "--threads", "1", "--seed", "5", "--export", export_path,
            "--json"};
  }
};

TEST_F(TrainDistributed, TwoRanksStepLikeOneProcessOnTheWholeBatch) {
  // 120 digits, batch 64: two steps (64 and 56 images). A few steps only: early training at
  // this learning rate amplifies rounding differences, so over many steps even one process on
  // 1 and on 2 threads drifts apart (after two steps the ranks differ from one process by
  // ~1e-4 of the largest weight). Known gap: with a last batch of one image per rank (130
  // digits), last_bn's running variance differs by 0.7 % while the weights agree; the
  // SyncBatchNorm tests (tests/nn/batch_norm_test.cpp) match LibTorch at that size, so the
  // cause is elsewhere and not found yet.
  const auto dir = test::scratch_dir("train_dist_equal");
  auto args_for = [&](const std::string& file) {
    auto args = train_args((dir / file).string(), 1);
    args.insert(args.end(), {"--train-per-class", "12"});
    return args;
  };
  const auto one = run_d2a(args_for("one.pt"), "train_dist_one");
  ASSERT_EQ(one.status, 0) << one.err;

  const int port = free_port(1);
  auto args = args_for("two.pt");
  args.push_back("--sync-bn");
  const auto ranks = run_ranks({torchrun_env(0, 2, port), torchrun_env(1, 2, port)}, args,
                               "train_dist_two");
  ASSERT_EQ(ranks[0].status, 0) << ranks[0].err;
  ASSERT_EQ(ranks[1].status, 0) << ranks[1].err;
  EXPECT_TRUE(ranks[1].out.empty()) << "only rank 0 reports: " << ranks[1].out;
  const auto j = nlohmann::json::parse(ranks[0].out);
  EXPECT_EQ(j["processes"], 2);
  EXPECT_EQ(j["distributed"]["backend"], "gloo");
  EXPECT_EQ(j["distributed"]["launcher"], "torchrun");
  EXPECT_GT(j["communication_seconds"].get<double>(), 0.0);
  EXPECT_NEAR(j["train_loss"].get<double>(), nlohmann::json::parse(one.out)["train_loss"].get<double>(),
              1e-4);

  // Averaged gradients and synchronised BatchNorm: the weights and running statistics of one
  // process on the whole batch, up to float rounding.
  const auto [sync_diff, worst] =
      relative_difference((dir / "one.pt").string(), (dir / "two.pt").string());
  EXPECT_LT(sync_diff, 1e-3) << worst;

  // Without --sync-bn each rank normalises by its half of the batch (PyTorch DDP's default): a
  // different network, by far more than rounding.
  const auto per_rank = run_ranks({torchrun_env(0, 2, port + 1), torchrun_env(1, 2, port + 1)},
                                  args_for("per_rank.pt"), "train_dist_per_rank");
  ASSERT_EQ(per_rank[0].status, 0) << per_rank[0].err;
  EXPECT_GT(relative_difference((dir / "one.pt").string(), (dir / "per_rank.pt").string()).first,
            1e-2);
}

TEST_F(TrainDistributed, ARankThatDiesStopsTheOthersWithOneLine) {
  const auto dir = test::scratch_dir("train_dist_kill");
  const int port = free_port(3);
  auto args = train_args((dir / "never.pt").string(), 200);  // minutes if nothing stops it
  args.insert(args.end(), {"--dist-timeout", "30"});
  // Rank 1 is SIGKILLed after 4 s, mid-training.
  const auto ranks = run_ranks({torchrun_env(0, 2, port), "timeout -s KILL 4 " + torchrun_env(1, 2, port)},
                               args, "train_dist_kill_run");
  EXPECT_EQ(ranks[1].status, 137);
  EXPECT_EQ(ranks[0].status, 1) << ranks[0].err;
  EXPECT_LT(ranks[0].seconds, 40.0) << "rank 0 did not notice within the timeout";
  EXPECT_NE(ranks[0].err.find("rank 0 of 2"), std::string::npos) << ranks[0].err;
  // One line of its own (the progress bar, off under --json, is the only other output).
  EXPECT_EQ(test::count_lines(ranks[0].err), 1) << ranks[0].err;
  EXPECT_FALSE(std::filesystem::exists(dir / "never.pt"));
}

TEST_F(TrainDistributed, ARankAloneTimesOutAtTheRendezvous) {
  const auto dir = test::scratch_dir("train_dist_alone");
  auto args = train_args((dir / "never.pt").string(), 1);
  args.insert(args.end(), {"--dist-timeout", "3"});
  const auto ranks = run_ranks({torchrun_env(0, 2, free_port(5))}, args, "train_dist_alone_run");
  EXPECT_EQ(ranks[0].status, 1);
  EXPECT_LT(ranks[0].seconds, 30.0);
  EXPECT_NE(ranks[0].err.find("rendezvous"), std::string::npos) << ranks[0].err;
  EXPECT_EQ(test::count_lines(ranks[0].err), 1) << ranks[0].err;
}

TEST_F(TrainDistributed, BadRendezvousVariablesExitTwoNamingThem) {
  const auto dir = test::scratch_dir("train_dist_bad");
  const auto args = train_args((dir / "never.pt").string(), 1);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"env RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500", "RANK=2"},
      {"env RANK=0 WORLD_SIZE=two MASTER_ADDR=127.0.0.1 MASTER_PORT=29500", "WORLD_SIZE"},
      {"env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1", "MASTER_PORT"},
      {"env SLURM_PROCID=0 SLURM_STEP_ID=0 SLURM_NTASKS=2 SLURM_JOB_NODELIST=n[", "SLURM_JOB_NODELIST"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto r = run_ranks({cases[i].first}, args, "train_dist_bad" + std::to_string(i))[0];
    EXPECT_EQ(r.status, 2) << cases[i].first << ": " << r.err;
    EXPECT_NE(r.err.find(cases[i].second), std::string::npos) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
  }
}

}  // namespace
}  // namespace d2a
