// FeatureExtractor: shapes, determinism, save/load identity, TorchScript files, bad files, and
// the training of the default extractor on tiny synthetic sources.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <functional>
#include <random>
#include <fstream>

#include "d2a/error.h"
#include "d2a/meta/feature_extractor.h"
#include "d2a/meta/feature_training.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

// `per_class` images per class of `classes` classes, `channels` x side x side; class k is a
// stripe pattern of period k + 2, plus seeded noise.
ImageSet pattern_set(int classes, int per_class, int side, int channels, unsigned seed,
                     const std::string& source = "patterns", int first_pattern = 0) {
  std::mt19937 rng(seed);
  ImageSet set;
  set.channels = channels;
  set.height = set.width = side;
  set.source = source;
  for (int label = 0; label < classes; ++label) {
    const int k = label + first_pattern;
    set.class_names.push_back("class" + std::to_string(label));
    for (int i = 0; i < per_class; ++i) {
      set.labels.push_back(label);
      for (int y = 0; y < side; ++y) {
        for (int x = 0; x < side; ++x) {
          for (int c = 0; c < channels; ++c) {
            const int stripe = ((x + y * (k % 2)) / (k / 2 + 1)) % 2 ? 200 : 30;
            set.pixels.push_back(static_cast<std::uint8_t>(std::min(255, stripe + static_cast<int>(rng() % 50))));
          }
        }
      }
    }
  }
  return set;
}

void expect_bad_input(const std::function<void()>& call, const std::string& fragment) {
  try {
    call();
    ADD_FAILURE() << "expected d2a::Error mentioning '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
  }
}

TEST(FeatureExtractor, RandomCnnGivesOneNonNegativeRowPerImage) {
  const FeatureExtractor extractor = FeatureExtractor::random_cnn(16, 1);
  EXPECT_EQ(extractor.dim(), 16);
  EXPECT_EQ(extractor.id().rfind("d2a-cnn-v1:", 0), 0u) << extractor.id();
  EXPECT_FALSE(extractor.is_torchscript());
  for (int channels : {1, 3}) {
    const ImageSet set = pattern_set(2, 3, 28, channels, 5);
    const torch::Tensor features = extractor.extract(set);
    ASSERT_EQ(features.sizes(), (std::vector<int64_t>{6, 16}));
    EXPECT_EQ(features.dtype(), torch::kFloat32);
    EXPECT_TRUE(torch::isfinite(features).all().item<bool>());
    EXPECT_GE(features.min().item<float>(), 0.0f);
    EXPECT_GT(features.abs().sum().item<float>(), 0.0f);
  }
  // Different images give different features.
  const torch::Tensor f = extractor.extract(pattern_set(2, 1, 28, 1, 5));
  EXPECT_FALSE(torch::allclose(f[0], f[1]));
}

TEST(FeatureExtractor, IndicesSelectRowsAndEmptySetsGiveNoRows) {
  const FeatureExtractor extractor = FeatureExtractor::random_cnn(8, 3);
  const ImageSet set = pattern_set(3, 2, 16, 1, 9);
  const torch::Tensor all = extractor.extract(set);
  const torch::Tensor some = extractor.extract(set, {4, 1});
  ASSERT_EQ(some.size(0), 2);
  EXPECT_TRUE(torch::allclose(some[0], all[4], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(some[1], all[1], 1e-5, 1e-6));
  ImageSet empty = set;
  empty.pixels.clear();
  empty.labels.clear();
  EXPECT_EQ(extractor.extract(empty).sizes(), (std::vector<int64_t>{0, 8}));
}

TEST(FeatureExtractor, RandomCnnIsDeterministicPerSeedAndLeavesTorchRngAlone) {
  const ImageSet set = pattern_set(2, 2, 32, 1, 2);
  torch::manual_seed(123);
  const torch::Tensor before = torch::rand({3});
  torch::manual_seed(123);
  const FeatureExtractor a = FeatureExtractor::random_cnn(12, 7);
  EXPECT_TRUE(torch::equal(torch::rand({3}), before)) << "random_cnn must not draw from torch's generator";
  const FeatureExtractor b = FeatureExtractor::random_cnn(12, 7);
  const FeatureExtractor c = FeatureExtractor::random_cnn(12, 8);
  EXPECT_EQ(a.id(), b.id());
  EXPECT_NE(a.id(), c.id());
  EXPECT_TRUE(torch::equal(a.extract(set), b.extract(set)));
  EXPECT_FALSE(torch::allclose(a.extract(set), c.extract(set)));
}

TEST(FeatureExtractor, SaveLoadGivesIdenticalFeaturesAndId) {
  const auto dir = test::meta_scratch_dir("extractor_roundtrip");
  const FeatureExtractor original = FeatureExtractor::random_cnn(10, 4);
  original.save((dir / "fx").string(), {{"note", "test"}});
  const FeatureExtractor loaded = FeatureExtractor::load((dir / "fx").string());
  EXPECT_EQ(loaded.id(), original.id());
  EXPECT_EQ(loaded.dim(), 10);
  EXPECT_EQ(loaded.path(), (dir / "fx").string());
  const ImageSet set = pattern_set(2, 3, 20, 3, 11);
  EXPECT_TRUE(torch::equal(loaded.extract(set), original.extract(set)));
}

TEST(FeatureExtractor, BadFilesAreOneLineBadInput) {
  const auto dir = test::meta_scratch_dir("extractor_bad");
  expect_bad_input([&] { FeatureExtractor::load((dir / "absent").string()); }, "absent");

  std::filesystem::create_directories(dir / "empty");
  expect_bad_input([&] { FeatureExtractor::load((dir / "empty").string()); }, "config.json");

  std::ofstream(dir / "garbage.pt") << "this is not a TorchScript archive";
  expect_bad_input([&] { FeatureExtractor::load((dir / "garbage.pt").string()); }, "garbage.pt");

  // Weights of a 16-dim extractor under a config that builds 8 dims.
  FeatureExtractor::random_cnn(16, 1).save((dir / "dim16").string());
  FeatureExtractor::random_cnn(8, 1).save((dir / "mixed").string());
  std::filesystem::copy_file(dir / "dim16" / "weights.pt", dir / "mixed" / "weights.pt",
                             std::filesystem::copy_options::overwrite_existing);
  expect_bad_input([&] { FeatureExtractor::load((dir / "mixed").string()); }, "weights.pt");

  // Weights of another extractor of the same shape: the stored id no longer matches.
  FeatureExtractor::random_cnn(8, 2).save((dir / "other").string());
  std::filesystem::copy_file(dir / "other" / "weights.pt", dir / "mixed" / "weights.pt",
                             std::filesystem::copy_options::overwrite_existing);
  expect_bad_input([&] { FeatureExtractor::load((dir / "mixed").string()); }, "does not match");

  // A TorchScript extractor cannot be saved as a directory (checked below when python exists).
}

bool have_python_torch() {
  return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

TEST(FeatureExtractor, LoadsTorchScriptFilesAndChecksTheirOutput) {
  if (!have_python_torch()) GTEST_SKIP() << "/usr/bin/python3 with torch (python3-torch) not available";
  const auto dir = test::meta_scratch_dir("extractor_script");
  const std::string script =
      "import sys, torch\n"
      "class Pool(torch.nn.Module):\n"
      "    def forward(self, x):\n"
      "        return torch.nn.functional.adaptive_avg_pool2d(x, 2).flatten(1)\n"
      "class Same(torch.nn.Module):\n"
      "    def forward(self, x):\n"
      "        return x\n"
      "torch.jit.script(Pool()).save(sys.argv[1] + '/pool.pt')\n"
      "torch.jit.script(Same()).save(sys.argv[1] + '/same.pt')\n";
  std::ofstream(dir / "make.py") << script;
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir / "make.py").string() + " " + dir.string()).c_str()), 0);

  const FeatureExtractor pool = FeatureExtractor::load((dir / "pool.pt").string());
  EXPECT_TRUE(pool.is_torchscript());
  EXPECT_EQ(pool.dim(), 12);  // 3 channels x 2 x 2
  EXPECT_EQ(pool.id().rfind("torchscript:pool.pt:", 0), 0u) << pool.id();
  // A constant grey image: every pooled value is the ImageNet-normalised grey level.
  ImageSet grey;
  grey.channels = 1;
  grey.height = grey.width = 8;
  grey.class_names = {"a"};
  grey.labels = {0};
  grey.pixels.assign(64, 128);
  const torch::Tensor f = pool.extract(grey);
  ASSERT_EQ(f.sizes(), (std::vector<int64_t>{1, 12}));
  const float level = 128.0f / 255.0f;
  EXPECT_NEAR(f[0][0].item<float>(), (level - 0.485f) / 0.229f, 1e-4);
  EXPECT_NEAR(f[0][4].item<float>(), (level - 0.456f) / 0.224f, 1e-4);
  EXPECT_NEAR(f[0][11].item<float>(), (level - 0.406f) / 0.225f, 1e-4);

  expect_bad_input([&] { FeatureExtractor::load((dir / "same.pt").string()); }, "[N, D]");
  expect_bad_input([&] { pool.save((dir / "as_dir").string()); }, "TorchScript");
}

TEST(FeatureTraining, LearnsTheClassesOfSeveralSourcesAboveChance) {
  torch::set_num_threads(1);
  const std::vector<ImageSet> sources = {pattern_set(3, 40, 16, 1, 1, "a"),
                                         pattern_set(3, 40, 12, 1, 2, "b", 3)};
  FeatureTrainOptions options;
  options.epochs = 6;
  options.batch_size = 24;
  options.cnn.widths({8, 16}).feature_dim(8);
  options.input.image_size = 16;
  options.validation_fraction = 0.25;
  options.seed = 3;
  int calls = 0;
  const FeatureTrainResult r = train_feature_extractor(sources, options, [&](const FeatureTrainEpoch&) { ++calls; });
  EXPECT_EQ(calls, 6);
  EXPECT_EQ(r.classes, 6);
  EXPECT_EQ(r.validation_images, 6 * 10);
  EXPECT_EQ(r.class_names.front(), "a/class0");
  EXPECT_EQ(r.extractor.dim(), 8);
  EXPECT_LT(r.epochs.back().train_loss, r.epochs.front().train_loss);
  EXPECT_GT(r.epochs.back().validation_accuracy, 50.0);  // 6 classes: chance is 16.7 %
  // The grey statistics were measured and one value serves every channel.
  const auto config = r.extractor.config();
  EXPECT_EQ(config["input"]["mean"].size(), 1u);
  EXPECT_GT(config["input"]["std"][0].get<float>(), 0.0f);
  EXPECT_THROW(train_feature_extractor({}, options), Error);
}

}  // namespace
}  // namespace d2a
