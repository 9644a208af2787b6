// Meta-model directories: save/load round trip and the refusals.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "d2a/meta/meta_model.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

MetaModel small_model(std::uint64_t extractor_seed) {
  torch::manual_seed(2);
  MetaModel model{FeatureExtractor::random_cnn(8, extractor_seed), nullptr, nullptr, 0, 1, 20,
                  {}, std::nullopt, {}};
  GeneratorOptions g(8);
  g.decoder(GraphDecoderOptions().hidden_dim(16));
  model.generator = Generator(g);
  PredictorOptions p(8);
  p.graph_encoder(GraphEncoderOptions().hidden_dim(16)).mlp_hidden(32);
  model.predictor = Predictor(p);
  model.accuracy_mean = 71.5;
  model.accuracy_std = 4.25;
  model.images_per_class = 12;
  model.info = {{"training", {{"seed", 3}}}};
  return model;
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MetaModel, SaveLoadRoundTrip) {
  const auto dir = test::meta_scratch_dir("meta_model_roundtrip") / "model";
  MetaModel model = small_model(1);
  save_meta_model(dir.string(), model, "# card\n");
  MetaModel loaded = load_meta_model(dir.string());
  EXPECT_EQ(loaded.extractor.id(), model.extractor.id());
  EXPECT_EQ(loaded.accuracy_mean, 71.5);
  EXPECT_EQ(loaded.accuracy_std, 4.25);
  EXPECT_EQ(loaded.images_per_class, 12);
  EXPECT_EQ(loaded.info["training"]["seed"], 3);
  EXPECT_EQ(loaded.info["kind"], "d2a-meta-model");
  EXPECT_EQ(read(dir / "MODEL_CARD.md"), "# card\n");
  EXPECT_FALSE(loaded.predictor->is_training());

  model.predictor->eval();
  model.generator->eval();
  const torch::Tensor features = torch::rand({2, 3, 5, 8});
  const torch::Tensor codes = cells_to_op_codes(test::random_cells(2, 4));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(loaded.predictor->forward(codes, loaded.predictor->encode_dataset(features)),
                           model.predictor->forward(codes, model.predictor->encode_dataset(features))));
  EXPECT_EQ(loaded.generator->generate_greedy(features), model.generator->generate_greedy(features));
}

TEST(MetaModel, SpaceEmbeddingsCacheIsCheckedAgainstThePredictor) {
  const auto dir = test::meta_scratch_dir("meta_model_space") / "model";
  MetaModel model = small_model(1);
  model.gate = DatasetGate::fit({std::vector<float>(8, 0.f), std::vector<float>(8, 1.f)},
                                {"a", "b"}, 0.5);
  save_meta_model(dir.string(), model, "card");
  EXPECT_FALSE(load_meta_model(dir.string()).space_embeddings.defined());
  const torch::Tensor written = save_space_embeddings(dir.string(), model);
  ASSERT_EQ(written.size(0), kNb201NumCells);
  const MetaModel loaded = load_meta_model(dir.string());
  ASSERT_TRUE(loaded.space_embeddings.defined());
  ASSERT_TRUE(loaded.gate.has_value());
  EXPECT_DOUBLE_EQ(loaded.gate->max_weight, 0.5);
  {
    torch::NoGradGuard no_grad;
    const std::vector<Nb201Cell> cells = {Nb201Cell::from_dense_index(123),
                                          Nb201Cell::from_dense_index(15624)};
    Predictor predictor = loaded.predictor;
    const torch::Tensor fresh = predictor->embed_cells(cells_to_op_codes(cells));
    EXPECT_TRUE(torch::allclose(fresh, loaded.space_embeddings.index_select(
                                           0, torch::tensor({123, 15624}, torch::kLong))));
  }
  // The cache of other weights is refused; saving new weights drops the cache.
  const torch::Tensor stale = written + 1;
  torch::save(stale, (dir / "space_embeddings.pt").string());
  EXPECT_THROW(load_meta_model(dir.string()), Error);
  save_meta_model(dir.string(), small_model(1), "card");
  EXPECT_FALSE(std::filesystem::exists(dir / "space_embeddings.pt"));
  EXPECT_NO_THROW(load_meta_model(dir.string()));
}

TEST(MetaModel, RefusesMissingOtherVersionAndMismatchedExtractor) {
  const auto root = test::meta_scratch_dir("meta_model_bad");
  EXPECT_THROW(load_meta_model((root / "absent").string()), Error);

  const auto dir = root / "model";
  save_meta_model(dir.string(), small_model(1), "card");
  auto info = nlohmann::json::parse(read(dir / "model.json"));
  info["format_version"] = 2;
  std::ofstream(dir / "model.json") << info.dump();
  try {
    load_meta_model(dir.string());
    ADD_FAILURE() << "format_version 2 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("format_version"), std::string::npos) << e.what();
  }
  info["format_version"] = 1;
  std::ofstream(dir / "model.json") << info.dump();
  EXPECT_NO_THROW(load_meta_model(dir.string()));

  // Another extractor in extractor/: the predictor was not trained on its features.
  std::filesystem::remove_all(dir / "extractor");
  FeatureExtractor::random_cnn(8, 2).save((dir / "extractor").string());
  try {
    load_meta_model(dir.string());
    ADD_FAILURE() << "a swapped extractor was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("trained with feature extractor"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace d2a
