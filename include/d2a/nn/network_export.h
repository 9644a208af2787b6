#pragma once
// Saving a trained NAS-Bench-201 or DARTS network in a file that Python's torch.load opens, and
// reading it back.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "d2a/nn/darts_network.h"
#include "d2a/nn/nb201_network.h"

namespace d2a {

// The format tag stored under "format"; bump it when the layout changes.
inline constexpr const char* kNb201ExportFormat = "d2a-nb201-network/1";

// Writes `network` to `path` (through a temporary file and a rename) with torch::pickle_save as
// a dict of
//   "format":     kNb201ExportFormat
//   "state_dict": {parameter or buffer name: CPU tensor}, names as in named_parameters() and
//                 named_buffers() (e.g. "stage0_cell0.edge1.conv.weight", "last_bn.running_mean")
//   "cell":       the canonical cell string
//   "config":     JSON text {"channels", "cells_per_stage", "input_channels", "num_classes",
//                 "image_size"}
//   "metadata":   JSON text of `metadata` (seed, budget, data, accuracy: what the caller knows)
// In Python: d = torch.load(path); d["state_dict"]["classifier.weight"]; json.loads(d["config"]).
// Throws d2a::Error (bad input) when the file cannot be created, (runtime) when writing fails.
void export_network(const Nb201Network& network, const std::string& path,
                    const nlohmann::json& metadata);

// What an export file holds, rebuilt: the network (eval mode, on the CPU) and its metadata.
struct ExportedNetwork {
  Nb201Network network{nullptr};
  nlohmann::json metadata;
};

// Reads a file written by export_network. Throws d2a::Error (bad input) naming the file when it
// is missing, not an export, or its tensors do not fit the cell and config it names.
ExportedNetwork load_exported_network(const std::string& path);

inline constexpr const char* kDartsExportFormat = "d2a-darts-network/1";

// The DARTS evaluation network in the same layout, with "format" kDartsExportFormat, "genotype"
// (DartsGenotype::str()) in place of "cell", and "config" {"channels", "layers",
// "input_channels", "num_classes", "auxiliary"}. The state dict names follow the network's
// submodules ("cell0.edge0.depthwise1.weight", "auxiliary_head.conv1.weight" when it has the
// head). Errors as export_network's.
void export_network(const DartsNetwork& network, const std::string& path,
                    const nlohmann::json& metadata);

struct ExportedDartsNetwork {
  DartsNetwork network{nullptr};
  nlohmann::json metadata;
};

// Reads a file written by the DARTS export_network; errors as load_exported_network's.
ExportedDartsNetwork load_exported_darts_network(const std::string& path);

}  // namespace d2a
