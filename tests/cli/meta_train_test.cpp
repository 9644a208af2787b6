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
  return {"meta-train", "--db", f.db.string(), "--features", f.features.string(), "--out",
          out.string(), "--epochs", std::to_string(epochs), "--hidden", "16", "--batch-size", "8",
          "--images-per-class", "5", "--val-fraction", "0.34", "--seed", "4", "--threads", "1",
          "--json"};
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
