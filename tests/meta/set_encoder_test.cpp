#include "d2a/meta/set_encoder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "d2a/error.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

TEST(SetEncoder, ShapesForAnyClassAndImageCount) {
  torch::manual_seed(0);
  SetEncoder encoder(SetEncoderOptions(12));
  for (const auto& [classes, images] : {std::pair{1, 1}, std::pair{3, 5}, std::pair{10, 20}}) {
    const torch::Tensor features = torch::randn({2, classes, images, 12});
    EXPECT_EQ(encoder(features).sizes(), torch::IntArrayRef({2, 56}));
    EXPECT_EQ(encoder->encode_classes(features).sizes(), torch::IntArrayRef({2, classes, 56}));
  }
}

TEST(SetEncoder, InvariantToImageOrderAndClassOrder) {
  torch::manual_seed(1);
  SetEncoder encoder(SetEncoderOptions(16));
  const torch::Tensor features = torch::randn({2, 4, 6, 16});
  const torch::Tensor out = encoder(features);

  const torch::Tensor image_perm = torch::tensor({5, 2, 0, 4, 1, 3});
  EXPECT_TRUE(torch::allclose(encoder(features.index_select(2, image_perm)), out, 1e-5, 1e-5));
  const torch::Tensor class_perm = torch::tensor({2, 0, 3, 1});
  EXPECT_TRUE(torch::allclose(encoder(features.index_select(1, class_perm)), out, 1e-5, 1e-5));
  // Each class permuted differently: still the same classes, so still the same dataset vector.
  torch::Tensor shuffled = features.clone();
  shuffled.select(1, 0).copy_(features.select(1, 0).index_select(1, image_perm));
  shuffled.select(1, 3).copy_(features.select(1, 3).flip(1));
  EXPECT_TRUE(torch::allclose(encoder(shuffled), out, 1e-5, 1e-5));
}

TEST(SetEncoder, DependsOnTheImages) {
  torch::manual_seed(2);
  SetEncoder encoder(SetEncoderOptions(8));
  const torch::Tensor features = torch::randn({1, 3, 4, 8});
  torch::Tensor moved = features.clone();
  moved[0][1][2] += 2.0;  // one image of one class
  EXPECT_GT((encoder(moved) - encoder(features)).abs().max().item<double>(), 1e-4);
  // Moving an image to another class changes the classes, so the dataset vector too.
  torch::Tensor swapped = features.clone();
  swapped[0][0][0].copy_(features[0][1][0]);
  swapped[0][1][0].copy_(features[0][0][0]);
  EXPECT_GT((encoder(swapped) - encoder(features)).abs().max().item<double>(), 1e-5);
}

TEST(SetEncoder, GradientsReachEveryParameter) {
  torch::manual_seed(3);
  SetEncoder encoder(SetEncoderOptions(8).layer_norm(true));
  encoder(torch::randn({2, 3, 4, 8})).pow(2).sum().backward();
  test::expect_gradients_everywhere(*encoder);
}

TEST(SetEncoder, RejectsWrongFeatureShape) {
  SetEncoder encoder(SetEncoderOptions(8));
  EXPECT_THROW(encoder(torch::randn({2, 3, 4, 7})), Error);
  EXPECT_THROW(encoder(torch::randn({3, 4, 8})), Error);
  EXPECT_THROW(encoder(torch::randn({2, 0, 4, 8})), Error);
}

TEST(SetEncoder, OptionsRoundTripThroughJson) {
  const SetEncoderOptions options = SetEncoderOptions(32).hidden_dim(24).output_dim(16).heads(3).layer_norm(true);
  const SetEncoderOptions back = set_encoder_options_from_json(to_json(options), "test");
  EXPECT_EQ(to_json(back), to_json(options));
  nlohmann::json missing = to_json(options);
  missing.erase("heads");
  try {
    set_encoder_options_from_json(missing, "model/config.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "model/config.json: missing field 'heads'");
  }
}

}  // namespace
}  // namespace d2a
