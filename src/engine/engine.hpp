// The engine's entry points, one per CLI command that works on an artifact.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "engine/execute.hpp"
#include "engine/plan.hpp"

namespace signet::engine {

struct SignOptions {
  std::filesystem::path config;
  std::filesystem::path input;
  std::filesystem::path output;
  std::map<std::string, std::string> parameters;
  Keys keys;
  std::optional<std::filesystem::path> report;
  formats::Limits limits;
  unsigned threads = 0;
  Progress* progress = nullptr;
};

struct SignSummary {
  uint64_t files_processed = 0;  // files with at least one directive applied
  uint64_t signatures = 0;       // directives applied
};

// Load, plan (every problem reported before signing), execute, write atomically. Throws
// io::Error / io::ErrorList; on any error the output does not exist.
SignSummary sign(const SignOptions& options);

struct InspectOptions {
  std::filesystem::path config;
  std::filesystem::path input;
  std::map<std::string, std::string> parameters;
  formats::Limits limits;
};

// The artifact's tree with the element that matched each entry; problems listed after it.
// Returns the text and whether the plan is free of problems.
std::pair<std::string, bool> inspect(const InspectOptions& options);

}  // namespace signet::engine
