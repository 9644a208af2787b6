#include "d2a/meta/generator.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "d2a/meta/cell_batch.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

GeneratorOptions small_options() {
  GeneratorOptions options(8);
  options.decoder().hidden_dim(64);
  return options;
}

TEST(Generator, EncodeGivesMuAndLogvarPerTask) {
  torch::manual_seed(0);
  Generator generator(small_options());
  const GeneratorLatent latent = generator->encode(torch::randn({3, 4, 5, 8}));
  EXPECT_EQ(latent.mu.sizes(), torch::IntArrayRef({3, 56}));
  EXPECT_EQ(latent.logvar.sizes(), torch::IntArrayRef({3, 56}));
}

TEST(Generator, LatentIsTheMeanAtTestTimeAndTheMeanPlusTinyNoiseInTraining) {
  torch::manual_seed(1);
  Generator generator(small_options());
  const GeneratorLatent latent{torch::randn({4, 56}), torch::randn({4, 56})};
  generator->eval();
  EXPECT_TRUE(torch::equal(generator->sample_latent(latent), latent.mu));
  generator->train();
  const torch::Tensor noise = generator->sample_latent(latent) - latent.mu;
  const torch::Tensor sigma = torch::exp(0.5 * latent.logvar);
  EXPECT_GT(noise.abs().max().item<double>(), 0.0);
  // noise = 0.01 * sigma * eps with eps ~ N(0, 1): its standardised spread is about 1.
  const double spread = (noise / (0.01 * sigma)).std().item<double>();
  EXPECT_GT(spread, 0.7);
  EXPECT_LT(spread, 1.3);
}

TEST(Generator, LossIsReconstructionPlusWeightedKl) {
  torch::manual_seed(2);
  Generator generator(small_options());
  generator->eval();  // z = mu: the terms can be recomputed exactly
  const torch::Tensor features = torch::randn({2, 3, 4, 8});
  const torch::Tensor codes = cells_to_op_codes(test::random_cells(2, 3));
  const GeneratorLoss loss = generator->loss(features, codes);
  const GeneratorLatent latent = generator->encode(features);
  const double kl = (-0.5 * (1 + latent.logvar - latent.mu.pow(2) - latent.logvar.exp()))
                        .sum(1).mean().item<double>();
  EXPECT_NEAR(loss.kl.item<double>(), kl, 1e-5);
  EXPECT_GT(loss.kl.item<double>(), 0.0);
  EXPECT_NEAR(loss.reconstruction.item<double>(),
              generator->decoder()->loss(latent.mu, codes).item<double>(), 1e-5);
  EXPECT_NEAR(loss.total.item<double>(),
              loss.reconstruction.item<double>() + 0.005 * kl, 1e-5);
}

TEST(Generator, GradientsReachEveryParameter) {
  torch::manual_seed(3);
  Generator generator(small_options());
  generator->train();
  generator->loss(torch::randn({2, 3, 4, 8}), cells_to_op_codes(test::random_cells(2, 4)))
      .total.backward();
  test::expect_gradients_everywhere(*generator);
}

TEST(Generator, GeneratesOneValidCellPerTask) {
  torch::manual_seed(4);
  Generator generator(small_options());
  generator->eval();
  const torch::Tensor features = torch::randn({5, 3, 4, 8});
  const auto greedy = generator->generate_greedy(features);
  EXPECT_EQ(greedy.size(), 5u);
  EXPECT_EQ(generator->generate_greedy(features), greedy);
  const auto sampled = generator->generate_sampled(features, make_sampler(9));
  EXPECT_EQ(sampled.size(), 5u);
  EXPECT_EQ(generator->generate_sampled(features, make_sampler(9)), sampled);
}

TEST(Generator, OptionsRoundTripThroughJson) {
  GeneratorOptions options = small_options().kl_weight(0.01).train_noise(0.5);
  options.set_encoder().heads(7);
  const nlohmann::json json = to_json(options);
  EXPECT_EQ(json["set_encoder"]["heads"], 7);
  EXPECT_EQ(json["decoder"]["hidden_dim"], 64);
  EXPECT_EQ(to_json(generator_options_from_json(json, "test")), json);
}

}  // namespace
}  // namespace d2a
