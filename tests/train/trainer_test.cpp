#include "d2a/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "d2a/error.h"
#include "train_test_support.h"

namespace d2a {
namespace {

using test::synthetic;

Budget tiny_budget() {
  Budget b = find_budget("cpu-fast");
  b.name = "test-tiny";
  b.channels = 4;
  b.recipe.epochs = 4;
  b.recipe.batch_size = 32;
  b.recipe.learning_rate = 0.05;
  return b;
}

const Nb201Cell kCell = Nb201Cell::parse(
    "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|");

TEST(Trainer, TinyRunBeatsChanceClearly) {
  const TrainData train = synthetic(64, 1);
  const TrainData test = synthetic(30, 2);
  int calls = 0;
  TrainProgress last;
  const TrainResult r = train_and_evaluate(kCell, train, test, tiny_budget(), 11, torch::kCPU,
                                           [&](const TrainProgress& p) {
                                             if (calls == 0)
                                               EXPECT_DOUBLE_EQ(p.learning_rate, 0.05);
                                             ++calls;
                                             last = p;
                                           });
  std::cout << "[ info ] test accuracy " << r.test_accuracy << "%, train loss " << r.train_loss
            << ", " << r.images_per_second << " img/s, " << r.train_seconds << " s" << std::endl;
  EXPECT_GT(r.test_accuracy, 75.0);  // chance is 33%
  EXPECT_LT(r.train_loss, 1.0);      // ln 3 = 1.10 at chance
  EXPECT_EQ(r.epochs, 4);
  EXPECT_EQ(r.seed, 11u);
  EXPECT_GT(r.images_per_second, 0.0);
  EXPECT_GT(r.train_seconds, 0.0);
  EXPECT_EQ(calls, 4 * 6);  // 192 images in batches of 32
  EXPECT_EQ(last.step, last.total_steps);
  // The step's loss stays a tensor on the device until someone reads it.
  ASSERT_TRUE(last.step_loss.defined());
  EXPECT_EQ(last.step_loss.dim(), 0);
  EXPECT_GT(last.loss(), 0.0);
  EXPECT_LT(last.loss(), 1.5);
  EXPECT_EQ(last.epoch, 3);
  ASSERT_TRUE(r.network);
  EXPECT_FALSE(r.network->is_training());
  EXPECT_EQ(r.num_parameters, r.network->num_parameters());
  EXPECT_EQ(r.network->options.macro().num_classes, 3);
  // evaluate() agrees with the reported test accuracy.
  Nb201Network net = r.network;
  EXPECT_DOUBLE_EQ(evaluate(net, test, 7).accuracy, r.test_accuracy);
}

bool same_weights(const Nb201Network& a, const Nb201Network& b) {
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  if (pa.size() != pb.size()) return false;
  for (const auto& item : pa) {
    if (!torch::equal(item.value(), pb[item.key()])) return false;
  }
  return true;
}

TEST(Trainer, SameSeedSameWeightsOtherSeedOtherWeights) {
  const TrainData train = synthetic(20, 3);
  const TrainData test = synthetic(10, 4);
  Budget b = tiny_budget();
  b.recipe.epochs = 2;
  b.recipe.batch_size = 16;
  const TrainResult r1 = train_and_evaluate(kCell, train, test, b, 5);
  const TrainResult r2 = train_and_evaluate(kCell, train, test, b, 5);
  const TrainResult r3 = train_and_evaluate(kCell, train, test, b, 6);
  EXPECT_EQ(r1.test_accuracy, r2.test_accuracy);
  EXPECT_EQ(r1.train_loss, r2.train_loss);
  EXPECT_TRUE(same_weights(r1.network, r2.network));
  EXPECT_FALSE(same_weights(r1.network, r3.network));
  EXPECT_NE(r1.train_loss, r3.train_loss);
}

TEST(Trainer, RejectsMalformedData) {
  const TrainData good = synthetic(4, 5);
  const Budget b = tiny_budget();
  TrainData wrong_type{good.images.to(torch::kDouble), good.labels};
  EXPECT_THROW(train_and_evaluate(kCell, wrong_type, good, b, 0), Error);
  TrainData wrong_labels{good.images, good.labels.narrow(0, 0, 5)};
  EXPECT_THROW(train_and_evaluate(kCell, wrong_labels, good, b, 0), Error);
  TrainData int_labels{good.images, good.labels.to(torch::kInt)};
  EXPECT_THROW(train_and_evaluate(kCell, int_labels, good, b, 0), Error);
  TrainData small_test{good.images.narrow(2, 0, 8).narrow(3, 0, 8).contiguous(), good.labels};
  EXPECT_THROW(train_and_evaluate(kCell, good, small_test, b, 0), Error);  // 16x16 vs 8x8
  TrainData two_channels{good.images.narrow(1, 0, 2).contiguous(), good.labels};
  EXPECT_THROW(train_and_evaluate(kCell, two_channels, two_channels, b, 0), Error);
  Nb201Network net(Nb201NetworkOptions(kCell, b.macro_config(3, 3)));
  EXPECT_THROW(evaluate(net, good, 0), Error);
  // An auxiliary head and drop path exist in DARTS networks only.
  EXPECT_THROW(train_and_evaluate(kCell, good, good, find_budget("darts-600ep"), 0), Error);
}

}  // namespace
}  // namespace d2a
