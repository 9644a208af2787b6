#include "d2a/search/searcher_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "d2a/error.h"

namespace d2a {
namespace {

TEST(SearcherConfig, DefaultsAreThePublishedSettings) {
  const SearcherConfig c;
  const nlohmann::json j = c.to_json();
  EXPECT_EQ(j["space"], "nb201");
  EXPECT_EQ(j["channels"], 16);
  EXPECT_EQ(j["cells"], 5);
  EXPECT_DOUBLE_EQ(j["weights"]["lr"].get<double>(), 0.025);
  EXPECT_DOUBLE_EQ(j["weights"]["lr_min"].get<double>(), 0.001);
  EXPECT_DOUBLE_EQ(j["weights"]["momentum"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(j["weights"]["weight_decay"].get<double>(), 5e-4);  // NB201
  EXPECT_DOUBLE_EQ(j["weights"]["grad_clip"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(j["arch"]["lr"].get<double>(), 3e-4);
  EXPECT_DOUBLE_EQ(j["arch"]["beta1"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["arch"]["beta2"].get<double>(), 0.999);
  EXPECT_DOUBLE_EQ(j["arch"]["weight_decay"].get<double>(), 1e-3);
  EXPECT_EQ(j["pc_darts"]["partial_channels"], 4);
  EXPECT_EQ(j["pc_darts"]["warmup_epochs"], 15);
  EXPECT_DOUBLE_EQ(j["pc_darts"]["weights_lr"].get<double>(), 0.1);
  EXPECT_EQ(j["ms_darts"]["samples"], 3);
  EXPECT_DOUBLE_EQ(j["ms_darts"]["bandwidth"].get<double>(), 1.0);
  EXPECT_EQ(j["ms_darts"]["iterations"], 2);
  EXPECT_DOUBLE_EQ(j["ms_darts"]["eps_start"].get<double>(), 0.025);
  EXPECT_DOUBLE_EQ(j["ms_darts"]["eps_end"].get<double>(), 0.25);
  EXPECT_EQ(j["ms_darts"]["warmup_epochs"], 5);
  EXPECT_DOUBLE_EQ(j["gdas"]["tau_max"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["gdas"]["tau_min"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(j["stacnas"]["stage1_fraction"].get<double>(), 0.5);
  EXPECT_EQ(j["stacnas"]["stage1_cells"], 1);
  EXPECT_EQ(j["stacnas"]["clusters"],
            nlohmann::json({{"none"}, {"skip_connect"}, {"avg_pool_3x3"},
                            {"nor_conv_3x3", "nor_conv_1x1"}}));
  SearcherConfig darts;
  darts.space = "darts";
  EXPECT_DOUBLE_EQ(darts.effective_weight_decay(), 3e-4);
  EXPECT_EQ(darts.effective_clusters().size(), 4u);
  EXPECT_EQ(darts.effective_clusters()[3].size(), 4u);
}

TEST(SearcherConfig, JsonRoundTripAndOverrides) {
  const nlohmann::json given = {{"space", "nb201"},
                                {"channels", 8},
                                {"seed", 42},
                                {"weights", {{"weight_decay", 1e-4}}},
                                {"gdas", {{"tau_min", 0.5}}},
                                {"stacnas", {{"clusters", {{"none"}, {"nor_conv_1x1"}}}}}};
  const SearcherConfig c = SearcherConfig::from_json(given);
  EXPECT_EQ(c.channels, 8);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_DOUBLE_EQ(c.effective_weight_decay(), 1e-4);
  EXPECT_DOUBLE_EQ(c.gdas.tau_min, 0.5);
  EXPECT_DOUBLE_EQ(c.gdas.tau_max, 10.0);  // missing: the default
  EXPECT_EQ(c.effective_clusters().size(), 2u);
  EXPECT_EQ(SearcherConfig::from_json(c.to_json()).to_json(), c.to_json());
  EXPECT_EQ(SearcherConfig::from_json(nlohmann::json::object()).to_json(),
            SearcherConfig().to_json());
}

TEST(SearcherConfig, RejectsUnknownFieldsWrongTypesAndBadValues) {
  EXPECT_THROW(SearcherConfig::from_json({{"epochz", 3}}), Error);
  EXPECT_THROW(SearcherConfig::from_json({{"gdas", {{"tau", 1}}}}), Error);
  EXPECT_THROW(SearcherConfig::from_json({{"channels", "sixteen"}}), Error);
  EXPECT_THROW(SearcherConfig::from_json({{"weights", {{"lr", -0.1}}}}), Error);
  EXPECT_THROW(SearcherConfig::from_json({{"gdas", {{"tau_max", 0.05}}}}), Error);
  EXPECT_THROW(SearcherConfig::from_json({{"pc_darts", {{"partial_channels", 0}}}}), Error);
  EXPECT_THROW(SearcherConfig::from_json(nlohmann::json::array()), Error);
  EXPECT_THROW(SearcherConfig::from_json({{"precision", "fp16"}}), Error);
  EXPECT_EQ(SearcherConfig::from_json({{"precision", "bf16"}}).precision, "bf16");
  try {
    SearcherConfig::from_json({{"ms_darts", {{"samples", 0}}}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ms_darts.samples"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace d2a
