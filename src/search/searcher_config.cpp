#include "d2a/search/searcher_config.h"

#include <fstream>
#include <string>

#include "d2a/error.h"
#include "d2a/train/recipe.h"

namespace d2a {
namespace {

void require(bool ok, const std::string& field, const std::string& need, double value) {
  if (!ok) {
    throw bad_input("search config: " + field + " = " + std::to_string(value) + " (need " + need +
                    ")");
  }
}

}  // namespace

double SearcherConfig::effective_weight_decay() const {
  if (weights.weight_decay) return *weights.weight_decay;
  return space == "nb201" ? 5e-4 : 3e-4;
}

std::int64_t SearcherConfig::effective_stage1_cells() const {
  if (stacnas.stage1_cells > 0) return stacnas.stage1_cells;
  return space == "nb201" ? 1 : 5;
}

std::vector<std::vector<std::string>> SearcherConfig::effective_clusters() const {
  if (!stacnas.clusters.empty()) return stacnas.clusters;
  if (space == "darts") {
    return {{"none"},
            {"skip_connect"},
            {"max_pool_3x3", "avg_pool_3x3"},
            {"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}};
  }
  return {{"none"}, {"skip_connect"}, {"avg_pool_3x3"}, {"nor_conv_3x3", "nor_conv_1x1"}};
}

void SearcherConfig::validate() const {
  require(channels > 0, "channels", "> 0", static_cast<double>(channels));
  if (!is_precision_name(precision)) {
    throw bad_input("search config: precision '" + precision + "' (" + precision_choices() + ")");
  }
  require(cells > 0, "cells", "> 0", static_cast<double>(cells));
  require(input_channels > 0, "input_channels", "> 0", static_cast<double>(input_channels));
  require(num_classes >= 2, "num_classes", ">= 2", static_cast<double>(num_classes));
  require(weights.lr > 0, "weights.lr", "> 0", weights.lr);
  require(weights.lr_min >= 0 && weights.lr_min <= weights.lr, "weights.lr_min",
          "0 <= lr_min <= lr", weights.lr_min);
  require(weights.momentum >= 0 && weights.momentum < 1, "weights.momentum", "[0, 1)",
          weights.momentum);
  require(effective_weight_decay() >= 0, "weights.weight_decay", ">= 0", effective_weight_decay());
  require(weights.grad_clip > 0, "weights.grad_clip", "> 0", weights.grad_clip);
  require(arch.lr > 0, "arch.lr", "> 0", arch.lr);
  require(arch.beta1 >= 0 && arch.beta1 < 1, "arch.beta1", "[0, 1)", arch.beta1);
  require(arch.beta2 >= 0 && arch.beta2 < 1, "arch.beta2", "[0, 1)", arch.beta2);
  require(arch.weight_decay >= 0, "arch.weight_decay", ">= 0", arch.weight_decay);
  require(darts2.hvp_r > 0, "darts2.hvp_r", "> 0", darts2.hvp_r);
  // Whether K divides the channels is the PC-DARTS supernet's check (other methods ignore K).
  require(pc_darts.partial_channels >= 1, "pc_darts.partial_channels", ">= 1",
          pc_darts.partial_channels);
  require(pc_darts.warmup_epochs >= 0, "pc_darts.warmup_epochs", ">= 0", pc_darts.warmup_epochs);
  require(pc_darts.weights_lr > 0, "pc_darts.weights_lr", "> 0", pc_darts.weights_lr);
  require(pc_darts.arch_lr > 0, "pc_darts.arch_lr", "> 0", pc_darts.arch_lr);
  require(ms_darts.samples >= 1, "ms_darts.samples", ">= 1", ms_darts.samples);
  require(ms_darts.bandwidth > 0, "ms_darts.bandwidth", "> 0", ms_darts.bandwidth);
  require(ms_darts.iterations >= 1, "ms_darts.iterations", ">= 1", ms_darts.iterations);
  require(ms_darts.eps_start >= 0, "ms_darts.eps_start", ">= 0", ms_darts.eps_start);
  require(ms_darts.eps_end >= 0, "ms_darts.eps_end", ">= 0", ms_darts.eps_end);
  require(ms_darts.warmup_epochs >= 0, "ms_darts.warmup_epochs", ">= 0", ms_darts.warmup_epochs);
  require(gdas.tau_min > 0, "gdas.tau_min", "> 0", gdas.tau_min);
  require(gdas.tau_max >= gdas.tau_min, "gdas.tau_max", ">= tau_min", gdas.tau_max);
  require(stacnas.stage1_fraction > 0 && stacnas.stage1_fraction < 1, "stacnas.stage1_fraction",
          "(0, 1)", stacnas.stage1_fraction);
  require(stacnas.stage1_cells >= 0, "stacnas.stage1_cells", ">= 0 (0 = the space's)",
          static_cast<double>(stacnas.stage1_cells));
  for (const auto& cluster : stacnas.clusters) {
    if (cluster.empty()) throw bad_input("search config: stacnas.clusters has an empty cluster");
  }
}

// The groups without special fields read and write themselves; a missing field keeps its
// default. Unknown fields are caught before (reject_unknown).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ArchOptimiserConfig, lr, beta1, beta2,
                                                weight_decay)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Darts2Config, hvp_r)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PcDartsConfig, partial_channels, warmup_epochs,
                                                weights_lr, arch_lr)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MsDartsConfig, samples, bandwidth, iterations,
                                                eps_start, eps_end, warmup_epochs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GdasConfig, tau_max, tau_min)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StacNasConfig, stage1_fraction, stage1_cells,
                                                clusters)

namespace {

// Every key of `given` must be a key of `known` (recursively for objects).
void reject_unknown(const nlohmann::json& given, const nlohmann::json& known,
                    const std::string& where) {
  if (!given.is_object()) throw bad_input(where + ": expected a JSON object");
  for (const auto& item : given.items()) {
    const auto it = known.find(item.key());
    if (it == known.end()) throw bad_input(where + ": unknown field '" + item.key() + "'");
    if (it->is_object()) reject_unknown(item.value(), *it, where + "." + item.key());
  }
}

template <typename Group>
void read_group(const nlohmann::json& json, const char* key, Group& group) {
  if (json.contains(key)) json.at(key).get_to(group);
}

}  // namespace

nlohmann::json SearcherConfig::to_json() const {
  StacNasConfig stacnas_effective = stacnas;
  stacnas_effective.clusters = effective_clusters();
  stacnas_effective.stage1_cells = effective_stage1_cells();
  return {{"space", space},
          {"channels", channels},
          {"cells", cells},
          {"input_channels", input_channels},
          {"num_classes", num_classes},
          {"seed", seed},
          {"precision", precision},
          {"weights",
           {{"lr", weights.lr},
            {"lr_min", weights.lr_min},
            {"momentum", weights.momentum},
            {"weight_decay", effective_weight_decay()},
            {"grad_clip", weights.grad_clip}}},
          {"arch", arch},
          {"darts2", darts2},
          {"pc_darts", pc_darts},
          {"ms_darts", ms_darts},
          {"gdas", gdas},
          {"stacnas", stacnas_effective}};
}

SearcherConfig SearcherConfig::from_json(const nlohmann::json& json) {
  reject_unknown(json, SearcherConfig().to_json(), "search config");
  SearcherConfig c;
  try {
    c.space = json.value("space", c.space);
    c.channels = json.value("channels", c.channels);
    c.cells = json.value("cells", c.cells);
    c.input_channels = json.value("input_channels", c.input_channels);
    c.num_classes = json.value("num_classes", c.num_classes);
    c.seed = json.value("seed", c.seed);
    c.precision = json.value("precision", c.precision);
    if (json.contains("weights")) {
      const nlohmann::json& w = json.at("weights");
      c.weights.lr = w.value("lr", c.weights.lr);
      c.weights.lr_min = w.value("lr_min", c.weights.lr_min);
      c.weights.momentum = w.value("momentum", c.weights.momentum);
      if (w.contains("weight_decay")) c.weights.weight_decay = w.at("weight_decay").get<double>();
      c.weights.grad_clip = w.value("grad_clip", c.weights.grad_clip);
    }
    read_group(json, "arch", c.arch);
    read_group(json, "darts2", c.darts2);
    read_group(json, "pc_darts", c.pc_darts);
    read_group(json, "ms_darts", c.ms_darts);
    read_group(json, "gdas", c.gdas);
    read_group(json, "stacnas", c.stacnas);
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(std::string("search config: a field has the wrong type (") + e.what() + ")");
  }
  c.validate();
  return c;
}

SearcherConfig SearcherConfig::read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw bad_input(path + ": cannot read the search config");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(path + ": not JSON (" + e.what() + ")");
  }
  for (const char* owned : {"space", "channels", "cells", "input_channels", "num_classes", "seed"}) {
    if (json.is_object() && json.contains(owned)) {
      throw bad_input(path + ": '" + owned + "' is set by the command line and the data, not the config");
    }
  }
  try {
    return from_json(json);
  } catch (const Error& e) {
    throw bad_input(path + ": " + e.what());
  }
}

}  // namespace d2a
