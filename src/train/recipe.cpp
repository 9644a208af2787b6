#include "d2a/train/recipe.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "d2a/error.h"
#include "json_fields.h"

namespace d2a {

void TrainRecipe::validate() const {
  auto fail = [](const std::string& field, const std::string& value, const std::string& need) {
    throw bad_input("training recipe: " + field + " " + value + " (" + need + ")");
  };
  if (epochs <= 0) fail("epochs", std::to_string(epochs), "must be positive");
  if (batch_size <= 1) fail("batch_size", std::to_string(batch_size), "must be at least 2");
  if (!(learning_rate > 0)) {
    fail("learning_rate", std::to_string(learning_rate), "must be positive");
  }
  if (!(min_learning_rate >= 0 && min_learning_rate <= learning_rate)) {
    fail("min_learning_rate", std::to_string(min_learning_rate), "must be in [0, learning_rate]");
  }
  if (!(momentum >= 0 && momentum < 1)) {
    fail("momentum", std::to_string(momentum), "must be in [0, 1)");
  }
  if (nesterov && momentum == 0) fail("momentum", "0", "Nesterov needs a positive momentum");
  if (!(weight_decay >= 0)) {
    fail("weight_decay", std::to_string(weight_decay), "must not be negative");
  }
  if (crop_padding < -1) {
    fail("crop_padding", std::to_string(crop_padding), "pixels, or -1 for image side / 8");
  }
  if (cutout < 0) fail("cutout", std::to_string(cutout), "pixels, or 0 for none");
  if (!(auxiliary_weight >= 0)) {
    fail("auxiliary_weight", std::to_string(auxiliary_weight), "must not be negative");
  }
  if (!(drop_path >= 0 && drop_path < 1)) {
    fail("drop_path", std::to_string(drop_path), "must be in [0, 1)");
  }
  if (!(grad_clip >= 0)) fail("grad_clip", std::to_string(grad_clip), "must not be negative");
  if (!is_precision_name(precision)) fail("precision", "'" + precision + "'", precision_choices());
}

int TrainRecipe::effective_crop_padding(int image_size) const {
  if (!random_crop) return 0;
  return crop_padding >= 0 ? crop_padding : image_size / 8;
}

nlohmann::json TrainRecipe::to_json() const {
  nlohmann::json json = {{"epochs", epochs},
          {"batch_size", batch_size},
          {"learning_rate", learning_rate},
          {"min_learning_rate", min_learning_rate},
          {"schedule", "cosine-per-iteration"},
          {"momentum", momentum},
          {"nesterov", nesterov},
          {"weight_decay", weight_decay},
          {"random_crop", random_crop},
          {"crop_padding", crop_padding},
          {"horizontal_flip", horizontal_flip}};
  if (cutout != 0) json["cutout"] = cutout;
  if (auxiliary_weight != 0) json["auxiliary_weight"] = auxiliary_weight;
  if (drop_path != 0) json["drop_path"] = drop_path;
  if (grad_clip != 0) json["grad_clip"] = grad_clip;
  if (precision != "fp32") json["precision"] = precision;
  return json;
}

TrainRecipe TrainRecipe::from_json(const nlohmann::json& json) {
  const detail::JsonFields fields(
      json, "training recipe",
      {"epochs", "batch_size", "learning_rate", "min_learning_rate", "schedule", "momentum",
       "nesterov", "weight_decay", "random_crop", "crop_padding", "horizontal_flip", "cutout",
       "auxiliary_weight", "drop_path", "grad_clip", "precision"});
  TrainRecipe r;
  std::string schedule = "cosine-per-iteration";
  fields.read("schedule", schedule);
  if (schedule != "cosine-per-iteration") {
    throw bad_input("training recipe: schedule '" + schedule +
                    "' (the only schedule is cosine-per-iteration)");
  }
  fields.read("epochs", r.epochs);
  fields.read("batch_size", r.batch_size);
  fields.read("learning_rate", r.learning_rate);
  fields.read("min_learning_rate", r.min_learning_rate);
  fields.read("momentum", r.momentum);
  fields.read("nesterov", r.nesterov);
  fields.read("weight_decay", r.weight_decay);
  fields.read("random_crop", r.random_crop);
  fields.read("crop_padding", r.crop_padding);
  fields.read("horizontal_flip", r.horizontal_flip);
  fields.read("cutout", r.cutout);
  fields.read("auxiliary_weight", r.auxiliary_weight);
  fields.read("drop_path", r.drop_path);
  fields.read("grad_clip", r.grad_clip);
  fields.read("precision", r.precision);
  r.validate();
  return r;
}

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names = {"fp32", "bf16"};
  return names;
}

std::string precision_choices() {
  std::string text;
  for (const auto& name : precision_names()) text += (text.empty() ? "" : " or ") + name;
  return text;
}

bool is_precision_name(const std::string& name) {
  const auto& names = precision_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

double cosine_learning_rate(const TrainRecipe& recipe, std::int64_t step,
                            std::int64_t total_steps) {
  if (total_steps <= 0) return recipe.learning_rate;
  const double progress = static_cast<double>(step) / static_cast<double>(total_steps);
  return recipe.min_learning_rate +
         (recipe.learning_rate - recipe.min_learning_rate) * (1.0 + std::cos(kPi * progress)) / 2.0;
}

}  // namespace d2a
