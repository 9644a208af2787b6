// `d2a meta-train` and `d2a features train` as real processes: a tiny end-to-end run with
// resume, and the refusals (exit 2, one line).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "cli_support.h"
#include "d2a/meta/feature_extractor.h"
#include "d2a/meta/meta_model.h"
#include "meta/synthetic_meta_db.h"

namespace d2a {
namespace {

using test::run_d2a;

struct Fixture {
  std::filesystem::path dir, db, features;
};

// A tiny database and a random extractor on disk (made once per process).
const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.dir = test::scratch_dir("meta_train_cli");
    x.db = x.dir / "tiny.h5";
    x.features = x.dir / "features";
    test::synthetic_meta_db(6, 8, 3, 3, 10, 8).save(x.db.string());
    FeatureExtractor::random_cnn(8, 1).save(x.features.string());
    return x;
  }();
  return f;
}

void expect_usage_error(const test::CommandResult& r, const std::string& fragment) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

std::vector<std::string> tiny_args(const std::filesystem::path& out, int epochs) {
  const Fixture& f = fixture();
  std::vector<std::string> args = {
      "meta-train", "--db", f.db.string(), "--features", f.features.string(), "--out",
      out.string(), "--epochs", std::to_string(epochs), "--hidden", "16", "--batch-size", "8",
      "--images-per-class", "5", "--val-fraction", "0.34", "--seed", "4", "--threads", "1",
      "--json"};
  args.insert(args.end(), {"--device", "cpu"});  // Gloo, also on a GPU machine
  return args;
}

TEST(MetaTrainCli, TrainsWritesALoadableModelAndResumes) {
  const auto out = fixture().dir / "model";
  std::filesystem::remove_all(out);
  const auto first = run_d2a(tiny_args(out, 2), "meta_train_first");
  ASSERT_EQ(first.status, 0) << first.err;
  const auto result = nlohmann::json::parse(first.out);
  EXPECT_EQ(result["epochs_done"], 2);
  EXPECT_EQ(result["seed"], 4);

  const MetaModel model = load_meta_model(out.string());
  EXPECT_EQ(model.images_per_class, 5);
  EXPECT_EQ(model.extractor.id(), FeatureExtractor::load(fixture().features.string()).id());
  const auto& training = model.info["training"];
  EXPECT_NE(training["command"].get<std::string>().find("d2a meta-train"), std::string::npos);
  EXPECT_EQ(training["metrics"]["history"].size(), 2u);
  EXPECT_EQ(training["data"]["benchmark_columns"].size(), 0u);
  const std::string card = test::read_text(out / "MODEL_CARD.md");
  EXPECT_NE(card.find("CIFAR-10"), std::string::npos);
  EXPECT_NE(card.find("pure MetaD2A"), std::string::npos);

  // The checkpoint is not overwritten by accident...
  expect_usage_error(run_d2a(tiny_args(out, 3), "meta_train_again"), "--resume");
  // ...and --resume continues it.
  auto args = tiny_args(out, 3);
  args.push_back("--resume");
  const auto resumed = run_d2a(args, "meta_train_resume");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(nlohmann::json::parse(resumed.out)["epochs_done"], 3);
  EXPECT_EQ(load_meta_model(out.string()).info["training"]["metrics"]["history"].size(), 3u);
}

TEST(MetaTrainCli, TwoRanksTrainLikeOneProcessOnTheWholeBatch) {
  const auto one_out = fixture().dir / "one";
  const auto two_out = fixture().dir / "two";
  std::filesystem::remove_all(one_out);
  std::filesystem::remove_all(two_out);
  const auto one = run_d2a(tiny_args(one_out, 2), "meta_train_one");
  ASSERT_EQ(one.status, 0) << one.err;
  const int port = test::free_port(41);
  const auto ranks = test::run_ranks({test::torchrun_env(0, 2, port), test::torchrun_env(1, 2, port)},
                                     tiny_args(two_out, 2), "meta_train_two");
  ASSERT_EQ(ranks[0].status, 0) << ranks[0].err;
  ASSERT_EQ(ranks[1].status, 0) << ranks[1].err;
  EXPECT_TRUE(ranks[1].out.empty()) << ranks[1].out;

  // The same losses every epoch (each the whole batch's, reduced over the ranks) and the same
  // validation, so the same checkpoints are kept, with the same weights.
  const MetaModel a = load_meta_model(one_out.string());
  const MetaModel b = load_meta_model(two_out.string());
  const auto& ha = a.info["training"]["metrics"]["history"];
  const auto& hb = b.info["training"]["metrics"]["history"];
  ASSERT_EQ(ha.size(), hb.size());
  for (std::size_t e = 0; e < ha.size(); ++e) {
    for (const char* key : {"predictor_loss", "generator_loss", "validation_spearman", "validation_mse"}) {
      const double x = ha[e][key].get<double>();
      EXPECT_NEAR(x, hb[e][key].get<double>(), 1e-4 * std::max(1.0, std::abs(x))) << key << " epoch " << e;
    }
  }
  EXPECT_GT(std::abs(ha[1]["predictor_loss"].get<double>() - ha[0]["predictor_loss"].get<double>()), 1e-3);
  double worst = 0;
  const auto pa = a.predictor->named_parameters();
  const auto pb = b.predictor->named_parameters();
  for (const auto& item : pa) {
    worst = std::max(worst, (item.value() - pb[item.key()]).abs().max().item<double>());
  }
  EXPECT_LT(worst, 1e-4);

  // A checkpoint keeps the number of processes it was written by.
  auto resume = tiny_args(one_out, 3);
  resume.push_back("--resume");
  const auto refused = test::run_ranks({test::torchrun_env(0, 2, port + 1), test::torchrun_env(1, 2, port + 1)},
                                       resume, "meta_train_resume_two");
  for (const auto& r : refused) {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("written by 1 process, this run has 2"), std::string::npos) << r.err;
  }
}

TEST(MetaTrainCli, BadInputsExitTwoWithOneLine) {
  const Fixture& f = fixture();
  const auto out = (f.dir / "unused").string();
  expect_usage_error(run_d2a({"meta-train", "--db", (f.dir / "absent.h5").string(), "--features",
                              f.features.string(), "--out", out},
                             "meta_train_bad1"),
                     "absent.h5");
  expect_usage_error(run_d2a({"meta-train", "--db", f.db.string(), "--features",
                              (f.dir / "nofeatures").string(), "--out", out},
                             "meta_train_bad2"),
                     "nofeatures");
  expect_usage_error(run_d2a({"meta-train", "--db", f.db.string(), "--features", f.features.string(),
                              "--out", out, "--bench-columns", "cifar100-test,cifar10-test",
                              "--bench", f.db.string()},
                             "meta_train_bad3"),
                     "cifar10-test");
  expect_usage_error(run_d2a({"meta-train", "--db", f.db.string(), "--features", f.features.string(),
                              "--out", out, "--bench-columns", "cifar100-test"},
                             "meta_train_bad4"),
                     "--bench");
  const auto table = test::nb201_table("nb201_test_acc_200ep.csv");
  if (std::filesystem::exists(table)) {
    expect_usage_error(run_d2a({"meta-train", "--db", f.db.string(), "--features", f.features.string(),
                                "--out", out, "--bench-columns", "cifar100-test,svhn-test", "--bench",
                                table.string()},
                               "meta_train_bad5"),
                       "svhn-test");
  }
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing is written before the inputs are checked";

  expect_usage_error(run_d2a({"features", "train", "--data", (f.dir / "nodata").string(), "--out", out},
                             "features_bad"),
                     "nodata");
}

}  // namespace
}  // namespace d2a
